package dev.tollgate.store.duckdb;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Schema version 2: the cache outcome and the saved cost of answers served again. */
class CacheColumnsTest {

    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    @TempDir
    Path dir;

    private static LedgerEntry row(String id, String cost, String cache, String saved) {
        return new LedgerEntry(T0, id, "search-prod", Map.of("team", "search"), "openai.chat", "sandbox",
                "gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", cache == null ? new Usage(100, 0, 0, 0, 20, 0) : Usage.ZERO,
                new BigDecimal(cost), "gpt-4o-mini@2024-07-18", 200, null, 1000, 500, false, false, cache,
                new BigDecimal(saved));
    }

    @Test
    void cacheOutcomeAndSavedCostRoundTripAndSum() {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            LedgerEntry miss = row("a", "0.000027", null, "0");
            LedgerEntry hit = row("b", "0", "hit", "0.000027");
            LedgerEntry coalesced = row("c", "0", "coalesced", "0.000027");
            ledger.append(miss);
            ledger.append(hit);
            ledger.append(coalesced);
            ledger.flush();
            assertThat(ledger.recent(3)).extracting(LedgerEntry::cache).containsExactlyInAnyOrder(null, "hit", "coalesced");
            LedgerEntry back = ledger.recent(3).stream().filter(e -> "b".equals(e.requestId())).findFirst().orElseThrow();
            assertThat(back).usingRecursiveComparison().isEqualTo(hit);

            List<SpendRow> total = ledger.spend(new SpendQuery(List.of(), null, null, null));
            assertThat(total).hasSize(1);
            // one paid call of $0.000027, two answers that each avoided the same amount
            assertThat(total.get(0).costUsd()).isEqualByComparingTo("0.000027");
            assertThat(total.get(0).savedUsd()).isEqualByComparingTo("0.000054");

            List<SpendRow> byCache = ledger.spend(new SpendQuery(List.of("cache"), null, null, Map.of("cache", "hit")));
            assertThat(byCache).hasSize(1);
            assertThat(byCache.get(0).group()).containsEntry("cache", "hit");
            assertThat(byCache.get(0).savedUsd()).isEqualByComparingTo("0.000027");
        }
    }

    @Test
    void rowsWrittenBeforeTheMigrationReadAsProviderCalls() throws Exception {
        // a version-1 database with one row, as an older build left it
        try (var conn = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve(DuckDbLedger.FILE_NAME));
             Statement s = conn.createStatement()) {
            s.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR NOT NULL,"
                    + " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)");
            s.execute(LedgerSchema.MIGRATIONS.get(0).statements().get(0));
            s.execute("INSERT INTO schema_version (version, description) VALUES (1, 'requests table')");
            s.execute("INSERT INTO requests VALUES (TIMESTAMP '2026-11-01 00:00:00', 'old', 'k', '{}', 'openai.chat',"
                    + " 'p', 'd', 'm', 'm', 1, 0, 0, 0, 1, 0, 0.5, NULL, 200, NULL, 10, NULL, false, false)");
        }
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            LedgerEntry old = ledger.recent(1).get(0);
            assertThat(old.cache()).isNull();
            assertThat(old.savedUsd()).isEqualByComparingTo("0");
            assertThat(old.costUsd()).isEqualByComparingTo("0.5");
        }
        try (var conn = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve(DuckDbLedger.FILE_NAME));
             Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT max(version) FROM schema_version")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(LedgerSchema.LATEST);
        }
    }
}
