package dev.tollgate.app;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
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
        List<String> maps = new ArrayList<>();
        List<String> inTmp = new ArrayList<>();
        // no start-up cache: its training run would start a gateway of its own first
        String output = BuiltCheckout.serveAnswersAndStops(checkout, data, "-Djava.io.tmpdir=" + tmp + " -Xshare:off", pid -> {
            maps.add(Files.readString(Path.of("/proc", String.valueOf(pid), "maps")));
            try (Stream<Path> files = Files.walk(tmp)) {
                files.map(p -> p.getFileName().toString()).forEach(inTmp::add);
            }
        });

        assertThat(maps).singleElement().as("the library is mapped from beside the driver's jar").asString()
                .contains(library.toRealPath().toString());
        assertThat(inTmp).as("nothing of DuckDB's in the temp directory").noneMatch(n -> n.contains("duckdb"));
        assertThat(output).doesNotContain("Exception");
        try (DuckDbLedger ledger = DuckDbLedger.open(data)) {
            List<LedgerEntry> rows = ledger.recent(10);
            assertThat(rows).singleElement().satisfies(r -> {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.servedModel()).isEqualTo("gpt-4o-mini");
            });
        }
    }
}
