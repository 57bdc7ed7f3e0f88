package dev.tollgate.store.postgres;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.duckdb.LedgerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgDatabaseTest {

    @Test
    void operatorUrlsBecomeJdbcUrls() {
        assertThat(PgDatabase.jdbcUrl("postgres://app:s3cret@db.internal:5432/tollgate"))
                .isEqualTo("jdbc:postgresql://db.internal:5432/tollgate?user=app&password=s3cret");
        assertThat(PgDatabase.jdbcUrl("postgresql://app@db/tollgate?sslmode=require"))
                .isEqualTo("jdbc:postgresql://db/tollgate?sslmode=require&user=app");
        assertThat(PgDatabase.jdbcUrl("postgres://db/tollgate")).isEqualTo("jdbc:postgresql://db/tollgate");
        assertThat(PgDatabase.jdbcUrl("jdbc:postgresql://db/x")).isEqualTo("jdbc:postgresql://db/x");
        assertThatThrownBy(() -> PgDatabase.jdbcUrl("mysql://db/x")).hasMessageContaining("not a PostgreSQL URL");
    }

    @Test
    void opensAPoolWorkingInItsOwnMigratedSchema() throws Exception {
        try (PgFixture pg = new PgFixture(); PgDatabase db = pg.open()) {
            try (Connection c = db.connection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT current_schema(), count(*) FROM flyway_schema_history")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(pg.schema);
            }
            // a second replica opening the same schema finds it current and migrates nothing
            try (PgDatabase again = pg.open()) {
                assertThat(again.schema()).isEqualTo(pg.schema);
            }
        }
    }

    @TempDir
    Path journal;

    @Test
    void v2CountsRequestsAndAttemptsApartInWhatV1HadSealed() throws Exception {
        Instant start = Instant.parse("2026-10-30T22:17:00Z");
        List<LedgerEntry> rows = LedgerContractTest.withAttempts(LedgerContractTest.rows(1500, 41, start));
        SpendQuery byModel = new SpendQuery(List.of("model"), null, null, null);
        List<Function<LedgerEntry, String>> model = List.of(LedgerEntry::servedModel);
        try (PgFixture pg = new PgFixture()) {
            try (PgDatabase db = pg.open(); PgLedger ledger = PgLedger.open(db, journal, LedgerOptions.DEFAULTS)) {
                rows.forEach(ledger::append);
                ledger.flush();
                assertThat(ledger.sealedUntil()).isAfter(start.plus(1, ChronoUnit.DAYS));
            }
            // the schema as a database migrated before V2 has it (V50 applied): rollups counting every row as a request
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(PgDatabase.jdbcUrl(PgFixture.URL));
                 Statement s = c.createStatement()) {
                s.execute("SET search_path TO " + pg.schema);
                for (String table : List.of("rollup_hourly", "rollup_daily")) {
                    s.execute("UPDATE " + table + " SET requests = attempts");
                    s.execute("ALTER TABLE " + table + " DROP COLUMN attempts");
                }
                s.execute("DELETE FROM flyway_schema_history WHERE version = '2'");
            }
            try (PgDatabase db = pg.open(); PgLedger ledger = PgLedger.reader(db)) {
                assertThat(PgSpendSql.spend(byModel, ledger.sealedUntil()).fromRollup()).as("answered from the rollups").isTrue();
                assertThat(LedgerContractTest.actual(ledger.spend(byModel), List.of("model")))
                        .isEqualTo(LedgerContractTest.expected(rows, null, null, e -> true, model));
                SpendQuery byDay = new SpendQuery(List.of("model"), null, null, null, "day");
                assertThat(LedgerContractTest.actual(ledger.spend(byDay), List.of("day", "model")))
                        .isEqualTo(LedgerContractTest.expected(rows, null, null, e -> true,
                                List.of(e -> e.time().toString().substring(0, 10), LedgerEntry::servedModel)));
            }
        }
    }
}
