package dev.tollgate.store.duckdb;

import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.Period;
import dev.tollgate.core.budget.Scope;
import dev.tollgate.store.BudgetStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DuckDbBudgetStoreTest {

    @TempDir
    Path dir;

    static Budget budget(String name, String limit) {
        return new Budget(name, Scope.parse("team:search"), Period.MONTHLY, new BigDecimal(limit), Budget.Action.DOWNGRADE,
                "gpt-4o-mini", List.of(50, 90), ZoneId.of("Europe/Berlin"));
    }

    @Test
    void budgetsAndTombstonesSurviveReopening() {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            BudgetStore store = ledger.budgetStore();
            store.save(budget("b", "12.345678901234"));
            store.save(budget("a", "1"));
            store.save(budget("a", "2")); // a change replaces the row
            store.delete("from-config");
        }
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            BudgetStore store = ledger.budgetStore();
            assertThat(store.budgets()).containsExactly(budget("a", "2"), budget("b", "12.345678901234"));
            assertThat(store.deleted()).containsExactly("from-config");
            store.delete("a");
            store.save(budget("from-config", "3")); // re-created after a delete
            assertThat(store.budgets()).extracting(Budget::name).containsExactly("b", "from-config");
            assertThat(store.deleted()).containsExactly("a");
        }
    }

    @Test
    void alertsNewestFirstAndSince() {
        Instant t = Instant.parse("2026-11-26T10:00:00.123456Z");
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            BudgetStore store = ledger.budgetStore();
            store.record(new Alert(t, "budget_threshold", "a", "60%", Map.of("threshold_percent", "60")));
            store.record(new Alert(t.plusSeconds(60), "budget_exceeded", "a", "100%", Map.of()));
            store.record(new Alert(t.plusSeconds(120), "runaway", "key:loop", "loop", Map.of("count", "20")));
        }
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            BudgetStore store = ledger.budgetStore();
            assertThat(store.alerts(2)).extracting(Alert::message).containsExactly("loop", "100%");
            List<Alert> since = store.alertsSince(t.plusSeconds(60));
            assertThat(since).extracting(Alert::kind).containsExactly("budget_exceeded", "runaway");
            assertThat(store.alerts(10).getLast()).isEqualTo(new Alert(t, "budget_threshold", "a", "60%", Map.of("threshold_percent", "60")));
        }
    }

    @Test
    void aVersionOneLedgerIsMigratedAndKeepsItsRows() throws Exception {
        // a database as the first build wrote it: only the requests table and schema version 1
        try (var conn = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve(DuckDbLedger.FILE_NAME));
             Statement s = conn.createStatement()) {
            s.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)");
            for (String sql : LedgerSchema.MIGRATIONS.getFirst().statements()) s.execute(sql);
            s.execute("INSERT INTO schema_version (version, description) VALUES (1, 'requests table')");
        }
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            ledger.budgetStore().save(budget("a", "1"));
            assertThat(ledger.budgetStore().budgets()).hasSize(1);
        }
    }

    @Test
    void aMigrationMergedAfterAHigherOneIsStillApplied() throws Exception {
        // a database written by a build that lacked the last-but-one migration, numbered below the last
        List<LedgerSchema.Migration> without = new java.util.ArrayList<>(LedgerSchema.MIGRATIONS);
        LedgerSchema.Migration skipped = without.remove(without.size() - 2);
        try (var conn = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve("older.duckdb"))) {
            LedgerSchema.migrate(conn, without);
            assertThat(versions(conn)).doesNotContain(skipped.version()).contains(LedgerSchema.LATEST);
            assertThat(LedgerSchema.migrate(conn, LedgerSchema.MIGRATIONS)).isEqualTo(LedgerSchema.LATEST);
            assertThat(LedgerSchema.migrate(conn, LedgerSchema.MIGRATIONS)).isEqualTo(LedgerSchema.LATEST); // and nothing twice
            assertThat(versions(conn)).containsExactlyInAnyOrderElementsOf(
                    LedgerSchema.MIGRATIONS.stream().map(LedgerSchema.Migration::version).toList());
        }
    }

    private static List<Integer> versions(java.sql.Connection conn) throws Exception {
        List<Integer> versions = new java.util.ArrayList<>();
        try (Statement s = conn.createStatement(); var rs = s.executeQuery("SELECT version FROM schema_version")) {
            while (rs.next()) versions.add(rs.getInt(1));
        }
        return versions;
    }

    @Test
    void keysAndAlertClaimsSurviveReopening() {
        Instant created = Instant.parse("2026-11-26T10:00:00Z");
        Alert eighty = new Alert(created, "budget_threshold", "team", "80%",
                Map.of("threshold_percent", "80", "period_start", "2026-11-01T00:00:00Z"));
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            BudgetStore store = ledger.budgetStore();
            assertThat(store.createKey(new dev.tollgate.store.StoredKey("ci", "ab".repeat(32), Map.of("team", "ml"), created))).isTrue();
            assertThat(store.createKey(new dev.tollgate.store.StoredKey("ci", "cd".repeat(32), Map.of(), created))).isFalse();
            store.revokeKey("config-key");
            assertThat(store.claim(eighty)).isTrue();
            assertThat(store.claim(eighty)).isFalse();
        }
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            BudgetStore store = ledger.budgetStore();
            assertThat(store.keys()).containsExactly(new dev.tollgate.store.StoredKey("ci", "ab".repeat(32), Map.of("team", "ml"), created));
            assertThat(store.revokedKeys()).containsExactly("config-key");
            assertThat(store.claim(eighty)).as("claimed before the restart").isFalse();
            store.revokeKey("ci");
            assertThat(store.keys()).isEmpty();
            assertThat(store.revokedKeys()).containsExactlyInAnyOrder("ci", "config-key");
        }
    }
}
