package dev.tollgate.app;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * serve's start-up cache as the launcher keeps it (JDK 25 and later): the training run answers real requests through
 * the built-in sandbox and meters them; a cache the JVM cannot use (another JDK's, other jars', a damaged file) does
 * not stop serve; a rebuild makes the launcher train a new one.
 */
class StartupCacheTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theTrainingRunAnswersEachFormatThroughTheBuiltInSandboxAndStops() throws Exception {
        Path data = dir.resolve("data");
        int exit = Main.commandLine().execute("serve", "--startup-training", "--port", "0", "--data", data.toString());

        assertThat(exit).isZero();
        try (DuckDbLedger ledger = DuckDbLedger.open(data)) {
            ledger.flush();
            List<LedgerEntry> rows = ledger.recent(100);
            assertThat(rows).hasSize(3 * ServeCommand.TRAINING_REQUESTS.size()).allMatch(r -> r.status() == 200);
            assertThat(rows).extracting(LedgerEntry::servedModel).containsOnly("gpt-4o-mini", "claude-haiku-4-5");
            assertThat(rows).filteredOn(LedgerEntry::stream).hasSize(3);
            // the tier's short prompt goes to its small tier, a route whose first deployment speaks Anthropic's format
            assertThat(rows).filteredOn(r -> r.requestedModel().equals("training-tier")).hasSize(3)
                    .extracting(LedgerEntry::servedModel).containsOnly("claude-haiku-4-5");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTrainingRequestWithNoAnswerIsNamedWithEveryThreadsStack() throws Exception {
        // a server that takes the connection and never answers
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                List<Socket> held = new ArrayList<>();
                try {
                    while (true) held.add(silent.accept());
                } catch (IOException closed) {
                    // the test is over
                }
            });
            Vertx vertx = Vertx.vertx();
            PrintStream stderr = System.err;
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            System.setErr(new PrintStream(printed, true, StandardCharsets.UTF_8));
            try {
                assertThatThrownBy(() -> ServeCommand.trainingRequests(vertx, silent.getLocalPort(), Duration.ofMillis(300)))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("training request " + ServeCommand.TRAINING_REQUESTS.get(0).getKey())
                        .hasMessageContaining("no answer within 300 ms (round 1)")
                        .hasCauseInstanceOf(TimeoutException.class);
            } finally {
                System.setErr(stderr);
                vertx.close().await();
            }
            assertThat(printed.toString(StandardCharsets.UTF_8)).as("every thread's stack").contains("\"" + Thread.currentThread().getName() + "\" RUNNABLE")
                    .contains("dev.tollgate.app.ServeCommand.trainingRequests(ServeCommand.java:");
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aCacheTheJvmRefusesDoesNotStopServeAndARebuildTrainsANewOne() throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 25, "the AOT cache needs JDK 25 or later");
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "reads which files the JVM mapped from /proc");
        Path checkout = BuiltCheckout.create(dir.resolve("checkout"), BuiltCheckout.testClassPath());
        Path jar = checkout.resolve("app/target/tollgate.jar");
        Path cache = checkout.resolve("app/target/serve.aot");

        // a damaged cache, newer than the jar and its libraries: the launcher passes it, the JVM refuses it, serve
        // starts without it. Only files of the checkout's own are re-dated: the libraries are hard links to Maven's
        // repository and the modules' jars, whose times are not this test's to change.
        Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        Files.write(cache, "not an AOT cache".repeat(1000).getBytes());
        String first = serveAnswersAndStops(checkout);
        assertThat(mappedCache).as("the JVM refused the damaged cache").isFalse();
        assertThat(first).doesNotContain("preparing serve's start-up cache").doesNotContain("[aot]").doesNotContain("[cds]")
                .doesNotContain("could not prepare");

        // a rebuild that rewrote only a dependency's jar (the app's package copies DuckDB's driver anew, tollgate.jar
        // stays as it was; the JVM refuses a cache whose jars changed): the launcher trains again, serve maps the new cache
        Path dependency;
        try (Stream<Path> lib = Files.list(checkout.resolve("app/target/lib"))) {
            dependency = lib.filter(p -> p.toString().endsWith(".jar")).findFirst().orElseThrow();
        }
        Path rebuilt = Files.copy(dependency, dir.resolve("rebuilt.jar")); // a new file, written now
        Files.move(rebuilt, dependency, StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.getLastModifiedTime(dependency)).isGreaterThan(Files.getLastModifiedTime(cache));
        String second = serveAnswersAndStops(checkout);
        // its output says why not: the launcher's training run prints every thread's stack when a request hangs
        assertThat(mappedCache).as("serve mapped the new cache; its output:%n%s", second).isTrue();
        assertThat(second).contains("tollgate: preparing serve's start-up cache").doesNotContain("could not prepare")
                .doesNotContain("[aot]").doesNotContain("[cds]");
        assertThat(Files.getLastModifiedTime(cache)).isGreaterThan(Files.getLastModifiedTime(dependency));
        assertThat(Files.readAllBytes(cache)).isNotEqualTo("not an AOT cache".repeat(1000).getBytes());
        assertThat(checkout.resolve("app/target/serve.aot.failed")).doesNotExist();
        try (Stream<Path> left = Files.list(checkout.resolve("app/target"))) {
            assertThat(left.map(p -> p.getFileName().toString())).as("no half-written cache left")
                    .noneMatch(n -> n.startsWith("serve.aot."));
        }
    }

    /** Whether the last serve had serve.aot mapped (the JVM uses it) while it answered. */
    private boolean mappedCache;

    /** {@code ./tollgate serve} on the built-in sandbox in {@code checkout}: its output once it answered one call. */
    private String serveAnswersAndStops(Path checkout) throws Exception {
        Path work = Files.createTempDirectory(dir, "run");
        return BuiltCheckout.serveAnswersAndStops(checkout, work.resolve("data"), null, pid ->
                mappedCache = Files.readString(Path.of("/proc", String.valueOf(pid), "maps")).contains("/serve.aot"));
    }
}
