package dev.tollgate.store.duckdb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The writer checkpoints when a write fills one of {@code requests}' row groups (see {@link LedgerWriter#ROW_GROUP_ROWS}),
 * long before DuckDB's own threshold (64 MB of log) would: a row group's worth of rows taken from the journal in bulk
 * and the rows after it are in the file, not in memory and the write-ahead log, and nothing is lost or counted twice
 * across the boundary, nor after reopening.
 */
class LedgerCheckpointTest {

    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    private static final int EXTRA = 1_000;

    @TempDir
    Path dir;

    @Test
    void aFullRowGroupIsCheckpointedAtOnce() {
        long rows = 122_880 + EXTRA; // DuckDB's row group, written here independently of the writer's constant
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            for (long i = 0; i < rows; i++) {
                // a cost of i micro-dollars: the sum of 0..rows-1 is known in closed form
                ledger.append(DuckDbLedgerTest.entry(T0.plusMillis(i), Map.of("team", "t" + (i % 3)), "m",
                        BigDecimal.valueOf(i, 6).toPlainString()));
            }
            ledger.flush();
            assertThat(rowGroups(ledger)).containsExactly(
                    List.of(0L, 122_880L, true), // checkpointed: in the file
                    List.of(1L, (long) EXTRA, true)); // written in the same bulk insert, checkpointed with it
            assertThat(totals(ledger)).containsExactly(rows, BigDecimal.valueOf(rows * (rows - 1) / 2, 6));
            assertThat(ledger.rowsTakenInBulk()).isEqualTo(rows);
        }
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) { // closing checkpointed the rest
            assertThat(totals(ledger)).containsExactly(rows, BigDecimal.valueOf(rows * (rows - 1) / 2, 6));
        }
    }

    /** Row group id, rows, whether all its segments are in the file. */
    private static List<List<Object>> rowGroups(DuckDbLedger ledger) {
        return ledger.query("""
                SELECT row_group_id, sum(count) FILTER (column_name = 'time' AND segment_type <> 'VALIDITY'),
                       bool_and(persistent)
                FROM pragma_storage_info('requests') GROUP BY row_group_id ORDER BY row_group_id""", List.of(), rs -> {
            List<List<Object>> out = new java.util.ArrayList<>();
            while (rs.next()) out.add(List.of(rs.getLong(1), rs.getLong(2), rs.getBoolean(3)));
            return out;
        });
    }

    private static List<Object> totals(DuckDbLedger ledger) {
        return ledger.query("SELECT count(*), sum(cost_usd) FROM requests", List.of(), rs -> {
            rs.next();
            return List.of(rs.getLong(1), rs.getBigDecimal(2).stripTrailingZeros().setScale(6));
        });
    }
}
