package dev.tollgate.store.duckdb;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DuckDbLedgerTest {

    private static final Instant T0 = Instant.parse("2025-03-01T10:15:30.123456Z");

    @TempDir
    Path dir;

    private static final AtomicInteger ids = new AtomicInteger();

    static LedgerEntry entry(Instant time, Map<String, String> tags, String model, String cost) {
        return new LedgerEntry(time, "req-" + ids.incrementAndGet(), "key-a", tags, "openai.chat", "openai",
                "fast", model, model, new Usage(100, 20, 5, 3, 50, 10), new BigDecimal(cost), model + "@v1", 200,
                null, 1234, 56, false, false);
    }

    /** Rows before the ones a test looks at, a day earlier: with enough of them the writer takes them all in bulk. */
    private static void fillers(DuckDbLedger ledger, int rows) {
        for (int i = 0; i < rows; i++) ledger.append(entry(T0.minus(java.time.Duration.ofDays(1)), Map.of(), "filler", "1"));
    }

    @ParameterizedTest(name = "after {0} rows") // through the appender, then through DuckDB's read_json of the journal
    @ValueSource(ints = {0, LedgerWriter.MIN_BULK_ROWS})
    void roundTripsEveryField(int before) {
        LedgerEntry full = new LedgerEntry(Instant.parse("2025-03-01T10:15:30.123456789Z"), "req-1", "team-key",
                Map.of("team", "search", "env", "prod", "quote's", "it's \"fine\"", "note", "naïve – ✓\n\t\\ 🙂"),
                "anthropic.messages",
                "anthropic", "smart", "claude-x", "claude-x-2025", new Usage(1000, 200, 30, 40, 500, 120),
                new BigDecimal("0.000123456789"), "claude-x@2025-01-01", 429, "rate limited", 987654, 12345,
                true, true);
        LedgerEntry sparse = new LedgerEntry(T0.plusSeconds(1), null, null, null, "openai.embeddings", null, null,
                null, null, null, null, null, 500, null, 0, -1, false, false);
        LedgerEntry attempt = new LedgerEntry(T0.plusSeconds(2), "req-2", "k", Map.of(), "openai.chat", "openai", "backup",
                "fast", "gpt-4o-mini", new Usage(10, 0, 0, 0, 5, 0), new BigDecimal("0.000004500000"), "v", 200, null,
                700, 300, true, false, "coalesced", new BigDecimal("-0.25"), true,
                new LedgerEntry.Attempt(2, "rate_limited", "gpt-4o-mini-2024-07-18"));
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            fillers(ledger, before);
            ledger.append(full);
            ledger.append(sparse);
            ledger.append(attempt);
            ledger.flush();
            List<LedgerEntry> recent = ledger.recent(3);
            assertThat(recent.get(0)).usingRecursiveComparison().ignoringFields("costUsd").isEqualTo(attempt);
            assertThat(recent.get(0).costUsd()).isEqualByComparingTo("0.0000045");
            assertThat(recent.get(1)).isEqualTo(sparse);
            LedgerEntry back = recent.get(2);
            // microsecond precision: the nanoseconds beyond are truncated
            assertThat(back.time()).isEqualTo(Instant.parse("2025-03-01T10:15:30.123456Z"));
            assertThat(back).usingRecursiveComparison().ignoringFields("time").isEqualTo(full);
            assertThat(back.costUsd()).isEqualTo(new BigDecimal("0.000123456789"));
            assertThat(ledger.recent(2)).containsExactly(recent.get(0), sparse);
            assertThat(ledger.recent(0)).isEmpty();
            assertThat(ledger.recent(10_000)).hasSize(before + 3);
            // which path wrote them: a bulk insert that failed would fall back to the appender and still pass above
            assertThat(ledger.rowsTakenInBulk()).isEqualTo(before == 0 ? 0 : before + 3);
        }
    }

    @Test
    void spendByTagAndModelWithFiltersAndTimeRange() {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            ledger.append(entry(T0, Map.of("team", "search", "env", "prod"), "gpt-4o", "0.000123456789"));
            ledger.append(entry(T0.plusSeconds(60), Map.of("team", "search", "env", "prod"), "gpt-4o", "0.5"));
            ledger.append(entry(T0.plusSeconds(120), Map.of("team", "search", "env", "dev"), "gpt-4o-mini", "0.25"));
            ledger.append(entry(T0.plusSeconds(180), Map.of("team", "ads", "env", "prod"), "gpt-4o", "2"));
            ledger.append(entry(T0.plusSeconds(3600 * 24), Map.of("team", "search", "env", "prod"), "gpt-4o", "7"));
            ledger.flush();

            // by team, first day only: [T0, T0 + 1 day)
            List<SpendRow> byTeam = ledger.spend(new SpendQuery(List.of("team"), T0, T0.plusSeconds(3600 * 24), null));
            assertThat(byTeam).extracting(r -> r.group().get("team")).containsExactly("ads", "search");
            SpendRow search = byTeam.get(1);
            assertThat(search.requests()).isEqualTo(3);
            assertThat(search.costUsd()).isEqualTo(new BigDecimal("0.750123456789"));
            assertThat(search.inputTokens()).isEqualTo(300);
            assertThat(search.cachedInputTokens()).isEqualTo(60);
            assertThat(search.cacheWriteTokens()).isEqualTo(24);
            assertThat(search.outputTokens()).isEqualTo(150);
            assertThat(search.reasoningTokens()).isEqualTo(30);
            assertThat(byTeam.get(0).costUsd()).isEqualTo(new BigDecimal("2"));

            // from is inclusive, to exclusive
            List<SpendRow> exact = ledger.spend(new SpendQuery(List.of(), T0.plusSeconds(60), T0.plusSeconds(120), null));
            assertThat(exact).singleElement().satisfies(r -> {
                assertThat(r.requests()).isEqualTo(1);
                assertThat(r.costUsd()).isEqualTo(new BigDecimal("0.5"));
                assertThat(r.group()).isEmpty();
            });

            // by model, filtered to team=search and env=prod, unbounded time
            List<SpendRow> byModel = ledger.spend(new SpendQuery(List.of("model"), null, null,
                    Map.of("team", "search", "env", "prod")));
            assertThat(byModel).singleElement().satisfies(r -> {
                assertThat(r.group()).containsExactly(Map.entry("model", "gpt-4o"));
                assertThat(r.requests()).isEqualTo(3);
                assertThat(r.costUsd()).isEqualTo(new BigDecimal("7.500123456789"));
            });

            // two dimensions, ordered by cost descending
            List<SpendRow> byTeamModel = ledger.spend(new SpendQuery(List.of("team", "model"), null, null, null));
            assertThat(byTeamModel).extracting(SpendRow::costUsd).containsExactly(new BigDecimal("7.500123456789"),
                    new BigDecimal("2"), new BigDecimal("0.25"));
            assertThat(byTeamModel.get(0).group()).containsExactly(Map.entry("team", "search"), Map.entry("model", "gpt-4o"));

            // column dimensions: day, hour, status, key, filters on them
            List<SpendRow> byDay = ledger.spend(new SpendQuery(List.of("day"), null, null, Map.of("status", "200")));
            assertThat(byDay).extracting(r -> r.group().get("day")).containsExactly("2025-03-02", "2025-03-01");
            List<SpendRow> byHour = ledger.spend(new SpendQuery(List.of("hour", "key"), null, null,
                    Map.of("day", "2025-03-01", "model", "gpt-4o")));
            assertThat(byHour).singleElement().satisfies(r -> {
                assertThat(r.group()).containsExactly(Map.entry("hour", "2025-03-01T10:00Z"), Map.entry("key", "key-a"));
                assertThat(r.costUsd()).isEqualTo(new BigDecimal("2.500123456789"));
            });

            // nothing matches: no rows at all, grouped or not
            assertThat(ledger.spend(new SpendQuery(List.of(), null, null, Map.of("team", "nobody")))).isEmpty();
            assertThat(ledger.spend(new SpendQuery(List.of("team"), null, null, Map.of("team", "nobody")))).isEmpty();
        }
    }

    @Test
    void missingTagGroupsAsNull() {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            ledger.append(entry(T0, Map.of("team", "search"), "m", "1.5"));
            ledger.append(entry(T0, Map.of(), "m", "0.25"));
            ledger.append(entry(T0, Map.of("project", "x"), "m", "0.5"));
            ledger.flush();
            List<SpendRow> rows = ledger.spend(new SpendQuery(List.of("team"), null, null, null));
            assertThat(rows).hasSize(2);
            assertThat(rows.get(0).group()).containsEntry("team", "search");
            assertThat(rows.get(1).group()).containsEntry("team", null);
            assertThat(rows.get(1).requests()).isEqualTo(2);
            assertThat(rows.get(1).costUsd()).isEqualTo(new BigDecimal("0.75"));
        }
    }

    @Test
    void flushMakesAppendedRowsVisible() {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            for (int i = 0; i < 10; i++) ledger.append(entry(T0.plusMillis(i), Map.of(), "m", "0.1"));
            ledger.flush();
            assertThat(ledger.recent(100)).hasSize(10);
            assertThat(ledger.spend(new SpendQuery(null, null, null, null)).getFirst().costUsd())
                    .isEqualTo(new BigDecimal("1"));
            ledger.flush(); // nothing queued: returns at once
        }
    }

    @Test
    void closeAndReopenKeepsRows() {
        DuckDbLedger ledger = DuckDbLedger.open(dir);
        ledger.append(entry(T0, Map.of("team", "a"), "m", "0.000000000001"));
        ledger.append(entry(T0.plusSeconds(1), Map.of("team", "b"), "m", "3"));
        ledger.close(); // no flush: close writes what is queued
        ledger.close(); // idempotent
        ledger.flush(); // harmless after close
        assertThatThrownBy(() -> ledger.recent(1)).isInstanceOf(IllegalStateException.class);

        try (DuckDbLedger again = DuckDbLedger.open(dir)) {
            assertThat(again.recent(10)).hasSize(2);
            assertThat(again.spend(new SpendQuery(null, null, null, null)).getFirst().costUsd())
                    .isEqualTo(new BigDecimal("3.000000000001"));
            assertThat(again.droppedRows()).isZero();
        }
        ledger.append(entry(T0, Map.of(), "m", "1"));
        assertThat(ledger.droppedRows()).isEqualTo(1);
    }

    @Test
    void manyRowsFromManyThreadsSurviveReopenWithExactCost() throws Exception {
        int threads = 4;
        int perThread = 12_500;
        DuckDbLedger ledger = DuckDbLedger.open(dir);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            workers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perThread; i++) {
                    // cost (i+1) * 1e-12 dollars: summing as a double would lose these
                    String cost = BigDecimal.valueOf(i + 1, 12).toPlainString();
                    ledger.append(entry(T0.plusNanos(i * 1000L), Map.of("thread", "t" + thread), "m", cost));
                }
            }));
        }
        for (Thread w : workers) w.join();
        ledger.close();

        BigDecimal perThreadCost = BigDecimal.valueOf((long) perThread * (perThread + 1) / 2, 12);
        try (DuckDbLedger again = DuckDbLedger.open(dir)) {
            List<SpendRow> total = again.spend(new SpendQuery(null, null, null, null));
            assertThat(total.getFirst().requests()).isEqualTo((long) threads * perThread);
            assertThat(total.getFirst().costUsd())
                    .isEqualTo(perThreadCost.multiply(BigDecimal.valueOf(threads)).stripTrailingZeros());
            List<SpendRow> byThread = again.spend(new SpendQuery(List.of("thread"), null, null, null));
            assertThat(byThread).hasSize(threads).allSatisfy(r -> {
                assertThat(r.requests()).isEqualTo(perThread);
                assertThat(r.costUsd()).isEqualTo(perThreadCost.stripTrailingZeros());
            });
        }
    }

    @Test
    void injectionInFilterValuesAndTagNamesIsHarmless() {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            ledger.append(entry(T0, Map.of("team", "a"), "m", "1"));
            ledger.flush();
            String evil = "x' OR '1'='1'; DROP TABLE requests; --";
            assertThat(ledger.spend(new SpendQuery(List.of(), null, null, Map.of("team", evil)))).isEmpty();
            assertThat(ledger.spend(new SpendQuery(List.of(), null, null, Map.of("model", evil)))).isEmpty();
            assertThatThrownBy(() -> ledger.spend(new SpendQuery(List.of(), null, null, Map.of(evil, "a"))))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ledger.spend(new SpendQuery(List.of(evil), null, null, null)))
                    .isInstanceOf(IllegalArgumentException.class);
            // a tag name with SQL-ish characters the pattern allows is still only a bound map key
            assertThat(ledger.spend(new SpendQuery(List.of("a.b-c"), null, null, null)))
                    .singleElement().satisfies(r -> assertThat(r.group()).containsEntry("a.b-c", null));
            assertThat(ledger.recent(10)).hasSize(1);
        }
    }

    @Test
    void migrationsAreIdempotentOnReopen() throws Exception {
        DuckDbLedger.open(dir).close();
        try (DuckDbLedger again = DuckDbLedger.open(dir)) {
            again.append(entry(T0, Map.of(), "m", "1"));
        }
        DuckDbLedger.open(dir).close();
        try (var conn = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve(DuckDbLedger.FILE_NAME));
             Statement s = conn.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT count(*), max(version) FROM schema_version")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(LedgerSchema.MIGRATIONS.size());
                assertThat(rs.getInt(2)).isEqualTo(LedgerSchema.LATEST);
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM requests")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
            // a database from a newer build is refused rather than written with the wrong columns
            s.execute("INSERT INTO schema_version (version, description) VALUES (" + (LedgerSchema.LATEST + 1)
                    + ", 'from the future')");
        }
        assertThatThrownBy(() -> DuckDbLedger.open(dir)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("newer");
    }

    @Test
    void aMigrationMissingBelowTheHighestRecordedVersionIsStillApplied() throws Exception {
        // branches merged in another order: the ledger recorded 1 and 5 but never 3
        var one = new LedgerSchema.Migration(1, "a", List.of("CREATE TABLE a (x INTEGER)"));
        var three = new LedgerSchema.Migration(3, "b", List.of("CREATE TABLE b (x INTEGER)"));
        var five = new LedgerSchema.Migration(5, "c", List.of("CREATE TABLE c (x INTEGER)"));
        try (var conn = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve("m.duckdb"));
             Statement s = conn.createStatement()) {
            assertThat(LedgerSchema.migrate(conn, List.of(one, five))).isEqualTo(5);
            assertThat(LedgerSchema.migrate(conn, List.of(one, three, five))).isEqualTo(5);
            try (ResultSet rs = s.executeQuery("SELECT string_agg(version::VARCHAR, ',' ORDER BY version) FROM schema_version")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("1,3,5");
            }
            s.execute("INSERT INTO b VALUES (1)"); // the table of the late migration exists
            assertThat(LedgerSchema.migrate(conn, List.of(one, three, five))).isEqualTo(5); // and nothing runs twice
        }
    }

    @Test
    void everyColumnDimensionIsMapped() {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            Map<String, String> tags = new HashMap<>();
            tags.put("team", "a");
            ledger.append(entry(T0, tags, "m", "1"));
            ledger.flush();
            for (String dim : SpendQuery.COLUMNS) {
                List<SpendRow> rows = ledger.spend(new SpendQuery(List.of(dim), null, null, null));
                assertThat(rows).as(dim).singleElement()
                        .satisfies(r -> assertThat(r.group().get(dim)).as(dim).isNotNull());
            }
        }
    }

    @Test
    void aRowThatCannotBeWrittenIsCountedAndCostsOnlyItself() {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            ledger.append(entry(T0, Map.of(), "m", "1e30")); // beyond DECIMAL(38,12): the appender rejects it
            ledger.flush();
            assertThat(ledger.failedRows()).isEqualTo(1);
            ledger.append(entry(T0, Map.of(), "m", "1"));
            ledger.flush();
            assertThat(ledger.recent(10)).singleElement().satisfies(e -> assertThat(e.costUsd()).isEqualTo("1"));

            // a bad row among good ones: the 99 good ones are written once each, only the bad one is lost
            for (int i = 0; i < 100; i++) ledger.append(entry(T0, Map.of(), "m", i == 50 ? "1e30" : "1"));
            ledger.flush();
            List<LedgerEntry> rows = ledger.recent(1000);
            assertThat(rows).extracting(LedgerEntry::requestId).doesNotHaveDuplicates();
            assertThat(rows).hasSize(1 + 99);
            assertThat(ledger.failedRows()).isEqualTo(2);
            // the rollup rolled back with the failed batch: it counts the written rows exactly once
            assertThat(ledger.spend(new SpendQuery(List.of(), null, null, null))).singleElement().satisfies(r -> {
                assertThat(r.requests()).isEqualTo(100);
                assertThat(r.costUsd()).isEqualTo(new BigDecimal("100"));
            });
        }
    }

    @ParameterizedTest(name = "after {0} rows")
    @ValueSource(ints = {0, LedgerWriter.MIN_BULK_ROWS})
    void costsFinerThanTheStoredScaleAreRoundedHalfEven(int before) {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            fillers(ledger, before);
            for (String cost : List.of("0.0000000000025", "0.0000000000035", "2.00000000000050", "0.00000000000049999999"))
                ledger.append(entry(T0, Map.of(), "m", cost));
            ledger.flush();
            // 12 decimals are kept; a 5 right after them goes to the even neighbour
            assertThat(ledger.recent(4)).extracting(e -> e.costUsd().toPlainString()).containsExactlyInAnyOrder(
                    "0.000000000002", "0.000000000004", "2", "0");
            assertThat(ledger.rowsTakenInBulk()).isEqualTo(before == 0 ? 0 : before + 4);
        }
    }

    @Test
    void aRowGroupsWorthOfRowsIsWrittenWithoutAFlush() {
        int rowGroup = 122_880; // DuckDB's, written here independently of the writer's constant
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            int appended = 0;
            long written = 0;
            // readers that do not flush see the rows once a row group's worth has gathered in closed journal segments
            while (written < rowGroup && System.nanoTime() < deadline) {
                for (int i = 0; i < 10_000; i++, appended++) ledger.append(entry(T0.plusMillis(appended), Map.of(), "m", "1"));
                written = ledger.query("SELECT count(*) FROM requests", List.of(), rs -> {
                    rs.next();
                    return rs.getLong(1);
                });
            }
            assertThat(written).isGreaterThanOrEqualTo(rowGroup).isLessThanOrEqualTo(appended);
            assertThat(ledger.rowsTakenInBulk()).isEqualTo(written);
            ledger.flush();
            long all = appended;
            assertThat(ledger.spend(new SpendQuery(List.of(), null, null, null))).singleElement()
                    .satisfies(r -> assertThat(r.requests()).isEqualTo(all));
        }
    }

    @Test
    void aRowThatCannotBeWrittenCostsOnlyItselfInABulkInsertToo() {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            fillers(ledger, LedgerWriter.MIN_BULK_ROWS);
            ledger.append(entry(T0, Map.of(), "m", "1e30")); // beyond DECIMAL(38,12): the whole insert fails
            fillers(ledger, 10);
            ledger.flush();
            assertThat(ledger.failedRows()).isEqualTo(1);
            assertThat(ledger.recent(10_000)).hasSize(LedgerWriter.MIN_BULK_ROWS + 10)
                    .extracting(LedgerEntry::requestId).doesNotHaveDuplicates();
            assertThat(ledger.health().spooledRows()).isZero(); // no segment left behind
            assertThat(ledger.rowsTakenInBulk()).isZero(); // the insert failed: every row went the appender's way
        }
    }

    @Test
    void fullQueueSpoolsToTheJournalInsteadOfBlocking() {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir, 1)) {
            for (int i = 0; i < 10_000; i++) ledger.append(entry(T0, Map.of(), "m", "1"));
            ledger.flush();
            assertThat(ledger.recent(20_000)).hasSize(10_000).extracting(LedgerEntry::requestId).doesNotHaveDuplicates();
            assertThat(ledger.droppedRows()).isZero();
        }
    }
}
