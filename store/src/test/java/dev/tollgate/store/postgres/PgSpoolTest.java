package dev.tollgate.store.postgres;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.LedgerHealth;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.duckdb.JournalCodec;
import dev.tollgate.store.duckdb.LedgerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** While PostgreSQL is unreachable rows wait in the spool; they are written once when it is back, or after a restart. */
class PgSpoolTest {

    private static final Instant START = Instant.parse("2026-11-10T08:00:00Z");

    @TempDir
    Path journal;

    @Test
    void rowsWaitInTheSpoolWhilePostgresIsDownAndAreWrittenOnceWhenItIsBack() throws Exception {
        List<LedgerEntry> rows = LedgerContractTest.rows(200, 11, START);
        // a small queue, so that most rows of the outage wait in the spool on disk rather than in memory
        LedgerOptions options = new LedgerOptions(null, 16, 64L << 20, 64L << 20, 0, false);
        try (PgFixture fixture = new PgFixture(); PgDatabase direct = fixture.open(); TcpRelay relay = new TcpRelay(5432);
             PgDatabase db = PgDatabase.open("postgres://postgres@127.0.0.1:" + relay.port() + "/test", fixture.schema, 2)) {
            PgLedger ledger = PgLedger.open(db, journal, options);
            rows.subList(0, 20).forEach(ledger::append);
            ledger.flush();
            assertThat(count(direct)).isEqualTo(20);

            relay.cut();
            rows.subList(20, 120).forEach(ledger::append); // returns at once: requests keep flowing
            ledger.flush(); // gives up after a while: the rows are kept
            LedgerHealth down = ledger.health();
            assertThat(down.degraded()).isTrue();
            assertThat(down.refusing()).isFalse();
            assertThat(down.reason()).contains("cannot be written");
            // how many the writer holds in its retried batch and how many wait only in the journal depends on timing
            assertThat(down.spooledRows()).isPositive();
            assertThat(down.lagSeconds()).isGreaterThan(0);
            assertThat(down.lostRows()).isZero();
            assertThat(ledger.spoolBytes()).isPositive();
            assertThat(count(direct)).isEqualTo(20);

            relay.restore();
            awaitCount(ledger, direct, 120);
            LedgerHealth up = ledger.health();
            assertThat(up.degraded()).isFalse();
            assertThat(up.spooledRows()).isZero();

            // down again, and the replica stops before it is back: the journal keeps the rows for the next start
            relay.cut();
            rows.subList(120, 200).forEach(ledger::append);
            ledger.close();
            assertThat(segments()).isNotEmpty();
            relay.restore();
            try (PgLedger restarted = PgLedger.open(db, journal, options)) {
                awaitCount(restarted, direct, 200);
            }
            assertThat(segments()).isEmpty();

            // a replica killed after its rows were written replays them at the next start: they count once
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (LedgerEntry e : rows) all.write(JournalCodec.encode(e));
            Files.write(journal.resolve("ledger-journal-0000000000000000001.jsonl"), all.toByteArray());
            try (PgLedger replayed = PgLedger.open(direct, journal, options)) {
                replayed.flush();
                assertThat(count(direct)).isEqualTo(200);
                // rows that went through the spool come back whole, attempts included
                assertThat(new java.util.HashSet<>(replayed.recent(1000))).isEqualTo(new java.util.HashSet<>(rows));
                List<SpendRow> total = replayed.spend(new SpendQuery(List.of(), null, null, null));
                BigDecimal expected = LedgerContractTest.strip(rows.stream().map(LedgerEntry::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add));
                assertThat(total).singleElement().satisfies(r -> {
                    assertThat(r.requests()).isEqualTo(200);
                    assertThat(r.costUsd()).isEqualTo(expected);
                });
            }
            assertThat(segments()).isEmpty();
        }
    }

    private List<Path> segments() throws Exception {
        try (Stream<Path> files = Files.list(journal)) {
            return files.filter(f -> f.getFileName().toString().startsWith("ledger-journal-")).toList();
        }
    }

    private static void awaitCount(PgLedger ledger, PgDatabase direct, long expected) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (count(direct) != expected && System.nanoTime() < deadline) ledger.flush();
        assertThat(count(direct)).isEqualTo(expected);
    }

    private static long count(PgDatabase db) throws Exception {
        try (Connection c = db.connection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM requests")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
