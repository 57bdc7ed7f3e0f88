package dev.tollgate.app;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.Outcome;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.postgres.PgDatabase;
import dev.tollgate.store.postgres.PgFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code tollgate ledger copy}: an embedded ledger moves into PostgreSQL with totals that match to the last decimal. */
class LedgerCopyTest {

    @TempDir
    Path data;

    private static String[] concat(String[] a, String[] b) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b)).toArray(String[]::new);
    }

    @Test
    void copiesEveryRowOnceAndVerifiesTheTotals() throws Exception {
        Random r = new Random(3);
        BigDecimal cost = BigDecimal.ZERO;
        long input = 0;
        Instant start = Instant.parse("2026-10-31T20:00:00Z"); // across a month boundary
        int rows = 900;
        try (DuckDbLedger ledger = DuckDbLedger.open(data)) {
            for (int i = 0; i < rows; i++) {
                BigDecimal c = BigDecimal.valueOf(r.nextLong(1, 9_000_000_000L), 12).stripTrailingZeros();
                long in = r.nextInt(4000);
                cost = cost.add(c);
                input += in;
                ledger.append(new LedgerEntry(start.plusSeconds(i * 61L), "req-" + i, i % 2 == 0 ? "a" : "b",
                        Map.of("team", "t" + i % 3), "openai.chat", "openai", "gpt-4o", "gpt-4o", "gpt-4o",
                        new Usage(in, 0, 0, 0, 10, 0), c, "gpt-4o@v1", 200, null, 1000, -1, false, false));
            }
            ledger.flush();
            ledger.recordOutcome(new Outcome(start, "req-1", null, true, new BigDecimal("2.5")));
        }
        try (PgFixture pg = new PgFixture()) {
            String[] args = {"ledger", "copy", "--from", data.toString(), "--to", PgFixture.URL, "--schema", pg.schema};
            String expected = rows + " requests, cost $" + cost.toPlainString() + ", saved $0, " + input + " input and "
                    + rows * 10 + " output tokens";
            AuditCommandTest.Run run = AuditCommandTest.audit(args);
            assertThat(run.exit()).as(run.err()).isEqualTo(0);
            assertThat(run.out()).contains("copied " + rows + " rows, 1 outcomes, 0 logged prompts and 0 shadow answers")
                    .contains("embedded: " + expected).contains("postgres: " + expected)
                    .contains("totals match to the last decimal");

            // the CLI reads PostgreSQL directly: the same report and the same FOCUS dataset as from the embedded file
            String[] shared = {"--ledger", PgFixture.URL, "--ledger-schema", pg.schema};
            AuditCommandTest.Run fromFile = AuditCommandTest.audit("report", "--data", data.toString(),
                    "--by", "team", "--bucket", "day", "--format", "csv");
            AuditCommandTest.Run fromPg = AuditCommandTest.audit(concat(new String[] {"report", "--by", "team", "--bucket", "day",
                    "--format", "csv"}, shared));
            assertThat(fromPg.exit()).as(fromPg.err()).isZero();
            assertThat(fromPg.out()).isEqualTo(fromFile.out()).contains("2026-10-31").contains("2026-11-01");
            Path fileCsv = data.resolve("file.csv");
            Path pgCsv = data.resolve("pg.csv");
            assertThat(AuditCommandTest.audit("export", "focus", "--data", data.toString(),
                    "--out", fileCsv.toString()).exit()).isZero();
            AuditCommandTest.Run export = AuditCommandTest.audit(concat(new String[] {"export", "focus", "--out", pgCsv.toString()}, shared));
            assertThat(export.exit()).as(export.err()).isZero();
            assertThat(java.nio.file.Files.readString(pgCsv)).isEqualTo(java.nio.file.Files.readString(fileCsv)).contains("gpt-4o");

            // run again: every row counts once
            run = AuditCommandTest.audit(args);
            assertThat(run.exit()).as(run.err()).isEqualTo(0);
            try (PgDatabase db = pg.open(); Connection c = db.connection(); Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT count(*), sum(cost_usd) FROM requests")) {
                    rs.next();
                    assertThat(rs.getLong(1)).isEqualTo(rows);
                    assertThat(rs.getBigDecimal(2)).isEqualByComparingTo(cost);
                }
                // a row PostgreSQL has and the embedded ledger does not (a minute before the last, in the hour not yet
                // rolled up, as a replica would write it): the totals differ, and the command says so
                String late = java.time.LocalDateTime.ofInstant(start.plusSeconds((rows - 1) * 61L - 60), java.time.ZoneOffset.UTC)
                        .toString().replace('T', ' ');
                s.execute("INSERT INTO requests (time, request_id, tags, input_tokens, cached_input_tokens,"
                        + " cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, cost_usd, status,"
                        + " latency_us, stream, estimated, saved_usd, unpriced, attempt) VALUES ('" + late + "', 'other',"
                        + " '{}', 0, 0, 0, 0, 0, 0, 0.000000000001, 200, 1, false, false, 0, false, 1)");
            }
            run = AuditCommandTest.audit(args);
            assertThat(run.exit()).isEqualTo(1);
            assertThat(run.err()).contains("the totals differ");
        }
    }
}
