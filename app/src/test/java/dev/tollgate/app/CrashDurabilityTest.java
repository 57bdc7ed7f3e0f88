package dev.tollgate.app;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of a gateway under load loses no answered request: a child JVM serves the built-in sandbox, clients send
 * calls until it is killed with SIGKILL, and every request id a client got a 200 for is in the ledger after the next
 * open (which replays the journal).
 */
class CrashDurabilityTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void everyAnsweredRequestIsInTheLedgerAfterKillMinus9() throws Exception {
        // the test's class path has DuckDB's driver as published: it copies its library into the temp directory, and
        // a killed process leaves the copy (70 MB) there
        Process gateway = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + dir, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "serve", "--port", "0", "--data", dir.resolve("data").toString())
                .directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            int port = new ServeOutput(gateway).awaitPort(Duration.ofSeconds(60));
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            Set<String> answered = ConcurrentHashMap.newKeySet();
            AtomicBoolean go = new AtomicBoolean(true);
            List<CompletableFuture<Void>> clients = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                clients.add(CompletableFuture.runAsync(() -> {
                    while (go.get()) {
                        try {
                            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                                    .header("content-type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                                    .build(), HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 200) r.headers().firstValue("x-tollgate-request-id").ifPresent(answered::add);
                        } catch (Exception e) {
                            return; // the gateway is gone
                        }
                    }
                }));
            }
            // load until a few hundred calls are answered, then kill while calls are in flight
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (answered.size() < 300 && System.nanoTime() < until) Thread.sleep(10);
            gateway.destroyForcibly(); // SIGKILL: no shutdown hook runs
            gateway.waitFor(10, TimeUnit.SECONDS);
            go.set(false);
            CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
            assertThat(answered).hasSizeGreaterThanOrEqualTo(100);

            try (DuckDbLedger ledger = DuckDbLedger.open(dir.resolve("data"))) {
                ledger.flush();
                Set<String> recorded = ledger.recent(1_000_000).stream().map(LedgerEntry::requestId).collect(Collectors.toSet());
                Set<String> missing = new java.util.HashSet<>(answered);
                missing.removeAll(recorded);
                assertThat(missing).as("answered requests missing from the ledger of %d answered", answered.size()).isEmpty();
                assertThat(ledger.recent(1_000_000)).extracting(LedgerEntry::requestId).doesNotHaveDuplicates();
            }
        } finally {
            gateway.destroyForcibly();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTempDirectoryThatCannotTakeTheDriversCopyOfItsLibraryStopsStartWithOneClearLine() throws Exception {
        Process gateway = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + dir.resolve("no-such-tmp"), "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--port", "0", "--data", dir.resolve("data").toString())
                .directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(gateway.getInputStream().readAllBytes());
        assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(gateway.exitValue()).isEqualTo(1);
        assertThat(out).contains("tollgate serve: DuckDB's native library did not load (" + dir.resolve("no-such-tmp"))
                .contains(": no such file or directory)")
                .contains("pass -Djava.io.tmpdir=DIR").doesNotContain("\tat ");
    }
}
