package dev.tollgate.store.duckdb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The ledger's DuckDB runs under the memory limit and thread count it is given (ledger.memory_limit_mb, threads). */
class DuckDbMemoryBoundsTest {

    @TempDir
    Path dir;

    @Test
    void theGatewayAndTheCliOpenDuckDbWithTheConfiguredBounds() throws Exception {
        LedgerOptions d = LedgerOptions.DEFAULTS;
        LedgerOptions options = new LedgerOptions(null, d.memoryRows(), d.spoolMaxBytes(), d.walMaxBytes(),
                d.minFreeBytes(), false, 48L << 20, 3);
        try (DuckDbLedger ledger = DuckDbLedger.open(dir, options)) {
            assertThat(setting(ledger, "memory_limit")).isEqualTo("48.0 MiB");
            assertThat(setting(ledger, "threads")).isEqualTo("3");
            // jemalloc gives freed memory back past 16 MiB of peak, not DuckDB's default 128 MiB
            assertThat(setting(ledger, "allocator_flush_threshold").replace(".0 ", "")).isEqualTo("16MiB"); // as 2.0 shows it
            assertThat(setting(ledger, "allocator_background_threads")).isEqualTo("true");
            // the buffer pool's blocks come from a pool of pages kept as large as the memory limit
            assertThat(setting(ledger, "block_allocator_memory")).isEqualTo("48.0 MiB");
        }
        // the CLI reads the file with the defaults: 64 MiB and 1 thread, not 80% of RAM and one thread per core
        try (LedgerScan scan = LedgerScan.open(dir);
             var s = scan.connection().createStatement();
             var rs = s.executeQuery("SELECT current_setting('memory_limit')::VARCHAR, current_setting('threads')::VARCHAR")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("64.0 MiB");
            assertThat(rs.getString(2)).isEqualTo("1");
        }
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            assertThat(setting(ledger, "memory_limit")).isEqualTo("64.0 MiB");
            assertThat(setting(ledger, "threads")).isEqualTo("1");
        }
    }

    private static String setting(DuckDbLedger ledger, String name) {
        return ledger.query("SELECT current_setting(?)::VARCHAR", List.of(name), rs -> {
            rs.next();
            return rs.getString(1);
        });
    }
}
