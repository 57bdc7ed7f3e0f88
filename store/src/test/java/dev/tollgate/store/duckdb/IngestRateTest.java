package dev.tollgate.store.duckdb;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.SpendQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rough measurement of the writer's ingest rate, not a benchmark and not an assertion on time. Off by default;
 * run with {@code mvn -pl store verify -Dtollgate.bench=true -Dtest=IngestRateTest}.
 */
@EnabledIfSystemProperty(named = "tollgate.bench", matches = "true")
class IngestRateTest {

    @TempDir
    Path dir;

    @Test
    void measuresRowsPerSecond() {
        int rows = 200_000;
        List<LedgerEntry> entries = new ArrayList<>(rows);
        Instant t0 = Instant.parse("2025-03-01T00:00:00Z");
        for (int i = 0; i < rows; i++) {
            entries.add(DuckDbLedgerTest.entry(t0.plusMillis(i), Map.of("team", "t" + (i % 7), "env", "prod"),
                    "gpt-4o", "0.000123456789"));
        }
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            for (int round = 0; round < 3; round++) {
                long start = System.nanoTime();
                for (LedgerEntry e : entries) ledger.append(e);
                ledger.flush();
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("ledger ingest round %d: %d rows in %.3f s = %.0f rows/s (dropped %d)%n",
                        round, rows, seconds, rows / seconds, ledger.droppedRows());
            }
            assertThat(ledger.spend(new SpendQuery(null, null, null, null)).getFirst().requests())
                    .isEqualTo(3L * rows - ledger.droppedRows());
        }
    }
}
