package dev.tollgate.app;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DuckDB's native library as the build lays it out (app/target/lib, before the tests run): {@code ./tollgate serve}
 * loads it from there, copies nothing into the temp directory (where a killed gateway would leave 70 MB), and the
 * ledger works.
 */
class DuckDbLibraryTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void serveLoadsTheLibraryFromBesideTheDriversJarAndCopiesNothingIntoTheTempDirectory() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "reads which files the JVM mapped from /proc");
        List<Path> built;
        try (Stream<Path> lib = Files.list(Path.of("target/lib"))) {
            built = lib.filter(p -> p.getFileName().toString().startsWith("libduckdb_java.so_")).toList();
        }
        Assumptions.assumeTrue(built.size() == 1, "the driver carries a library for this platform");
        Path driver = Path.of(org.duckdb.DuckDBDriver.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path builtDriver = Path.of("target/lib").resolve(driver.getFileName()).toAbsolutePath();
        // this build's class path, with the driver as the build copied it (Maven's repository has it as published)
        List<Path> classPath = new ArrayList<>(BuiltCheckout.testClassPath());
        classPath.replaceAll(p -> p.equals(driver) ? builtDriver : p);
        assertThat(classPath).contains(builtDriver);
        Path checkout = BuiltCheckout.create(dir.resolve("checkout"), classPath);
        Path library = checkout.resolve("app/target/lib").resolve(built.getFirst().getFileName());
        BuiltCheckout.link(built.getFirst(), library);

        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path data = dir.resolve("data");
        ProcessBuilder command = new ProcessBuilder("bash", checkout.resolve("tollgate").toString(), "serve", "--port", "0",
                "--data", data.toString()).directory(dir.toFile()).redirectErrorStream(true);
        command.environment().put("JAVA_HOME", System.getProperty("java.home"));
        // no start-up cache: its training run would start a gateway of its own first
        command.environment().put("TOLLGATE_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp + " -Xshare:off");
        Process serve = command.start();
        ServeOutput output = new ServeOutput(serve);
        String maps;
        List<String> inTmp;
        try {
            int port = output.awaitPort(Duration.ofMinutes(2));
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(60)).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            // the launcher exec's java: the process is the JVM
            maps = Files.readString(Path.of("/proc", String.valueOf(serve.pid()), "maps"));
            try (Stream<Path> files = Files.walk(tmp)) {
                inTmp = files.map(p -> p.getFileName().toString()).toList();
            }
        } finally {
            serve.destroy(); // SIGTERM: the gateway writes its ledger and stops
            serve.waitFor(60, TimeUnit.SECONDS);
            serve.destroyForcibly();
        }

        assertThat(maps).as("the library is mapped from beside the driver's jar").contains(library.toRealPath().toString());
        assertThat(inTmp).as("nothing of DuckDB's in the temp directory").noneMatch(n -> n.contains("duckdb"));
        assertThat(output.whole()).doesNotContain("Exception");
        try (DuckDbLedger ledger = DuckDbLedger.open(data)) {
            List<LedgerEntry> rows = ledger.recent(10);
            assertThat(rows).singleElement().satisfies(r -> {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.servedModel()).isEqualTo("gpt-4o-mini");
            });
        }
    }
}
