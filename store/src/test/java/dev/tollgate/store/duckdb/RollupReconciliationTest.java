package dev.tollgate.store.duckdb;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rollup answers every breakdown exactly as the raw rows do: expected totals are summed here, in Java, from the
 * rows the test generated, and compared digit for digit with what the ledger answers.
 */
class RollupReconciliationTest {

    private static final Instant START = Instant.parse("2026-10-30T22:17:00Z");
    private static final String[] TEAMS = {"search", "ads", "support", null};
    private static final String[] FEATURES = {"autocomplete", "summary", "chat", "triage", "rerank"};
    private static final String[] MODELS = {"gpt-4o-mini", "gpt-4o", "claude-haiku-4-5", "claude-sonnet-4-5"};
    private static final String[] KEYS = {"search-prod", "ads-dev", "anonymous", null};
    private static final int[] STATUSES = {200, 200, 200, 200, 200, 200, 400, 429, 500, 502};

    @TempDir
    Path dir;

    /** Rows spread over four days, with nulls, fine-grained costs and per-run decision tags. */
    static List<LedgerEntry> randomRows(long seed, int n) {
        return randomRows(seed, n, true);
    }

    /** With {@code cacheHits}, about one row in five is an answer the gateway served again: cost 0, a saved cost. */
    static List<LedgerEntry> randomRows(long seed, int n, boolean cacheHits) {
        Random random = new Random(seed);
        List<LedgerEntry> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Instant time = START.plusMillis((long) (random.nextDouble() * 4 * 24 * 3600 * 1000));
            Map<String, String> tags = new HashMap<>();
            String team = TEAMS[random.nextInt(TEAMS.length)];
            if (team != null) tags.put("team", team);
            tags.put("feature", FEATURES[random.nextInt(FEATURES.length)]);
            if (random.nextInt(3) == 0) tags.put("decision", "run-" + random.nextInt(500));
            // a tag that only some days have: the others' rows lack it (its NULL group) on whole days
            if (i % 2 == 0 && time.isBefore(Instant.parse("2026-11-01T00:00:00Z"))) tags.put("region", i % 4 == 0 ? "eu" : "us");
            String model = MODELS[random.nextInt(MODELS.length)];
            int status = STATUSES[random.nextInt(STATUSES.length)];
            Usage usage = new Usage(random.nextInt(5000), random.nextInt(1000), random.nextInt(50), random.nextInt(50),
                    random.nextInt(800), random.nextInt(100));
            BigDecimal cost = status == 200 ? BigDecimal.valueOf(random.nextLong(1, 50_000_000_000L), 12) : BigDecimal.ZERO;
            boolean hit = cacheHits && status == 200 && random.nextInt(5) == 0;
            rows.add(new LedgerEntry(time, "req-" + seed + "-" + i, KEYS[random.nextInt(KEYS.length)], tags,
                    random.nextBoolean() ? "openai.chat" : "anthropic.messages", model.startsWith("claude") ? "anthropic" : "openai",
                    model, model, model, hit ? Usage.ZERO : usage, hit ? BigDecimal.ZERO : cost,
                    status == 200 ? model + "@2025-01-01" : null, status, null, 1000, -1, false, false,
                    hit ? "hit" : null, hit ? cost : BigDecimal.ZERO, false, attempt(i, model)));
        }
        return rows;
    }

    /**
     * Some rows are attempts of a request that took several (issue 13): one in seven was thrown away (escalated or
     * retried, so it is an attempt and no request), one in seven is the second attempt that stood (a request).
     */
    static LedgerEntry.Attempt attempt(int i, String model) {
        return switch (i % 7) {
            case 3 -> new LedgerEntry.Attempt(1, i % 2 == 0 ? "escalated" : "rate_limited", model);
            case 4 -> new LedgerEntry.Attempt(2, null, model);
            default -> null;
        };
    }

    /** The rows as a build before attempts wrote them: each its request's only attempt. */
    static List<LedgerEntry> singleAttempts(List<LedgerEntry> rows) {
        return rows.stream().map(e -> new LedgerEntry(e.time(), e.requestId(), e.keyName(), e.tags(), e.api(), e.provider(),
                e.deployment(), e.requestedModel(), e.servedModel(), e.usage(), e.costUsd(), e.priceVersion(), e.status(),
                e.error(), e.latencyMicros(), e.ttftMicros(), e.stream(), e.estimated(), e.cache(), e.savedUsd(), e.unpriced(),
                null)).toList();
    }

    /** What a dimension's value is for one row, written out independently of the SQL. */
    static String value(LedgerEntry e, String dim) {
        return switch (dim) {
            case "key" -> e.keyName();
            case "model" -> e.servedModel();
            case "provider" -> e.provider();
            case "api" -> e.api();
            case "status" -> Integer.toString(e.status());
            case "status_class" -> e.status() / 100 + "xx";
            case "price_version" -> e.priceVersion();
            case "cache" -> e.cache() == null ? "none" : e.cache();
            case "hour" -> e.time().truncatedTo(ChronoUnit.HOURS).toString().replace(":00:00Z", ":00Z");
            case "day" -> e.time().atZone(ZoneOffset.UTC).toLocalDate().toString();
            case "week" -> e.time().atZone(ZoneOffset.UTC).toLocalDate().with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).toString();
            case "month" -> e.time().atZone(ZoneOffset.UTC).toLocalDate().toString().substring(0, 7);
            default -> e.tags().get(dim);
        };
    }

    /** {@code requests}: rows whose attempt stood (no reason to try again); {@code attempts}: every row. */
    record Totals(long requests, long input, long cached, long cacheWrite, long output, long reasoning, BigDecimal cost,
                  BigDecimal saved, long attempts) {
        Totals plus(LedgerEntry e) {
            Usage u = e.usage();
            boolean stood = e.attempt() == null || e.attempt().reason() == null;
            return new Totals(requests + (stood ? 1 : 0), input + u.inputTokens(), cached + u.cachedInputTokens(),
                    cacheWrite + u.cacheWrite5mTokens() + u.cacheWrite1hTokens(), output + u.outputTokens(),
                    reasoning + u.reasoningTokens(), cost.add(e.costUsd()), saved.add(e.savedUsd()), attempts + 1);
        }

        static Totals of(SpendRow r) {
            return new Totals(r.requests(), r.inputTokens(), r.cachedInputTokens(), r.cacheWriteTokens(), r.outputTokens(),
                    r.reasoningTokens(), r.costUsd().stripTrailingZeros(), r.savedUsd().stripTrailingZeros(), r.attempts());
        }
    }

    static Map<List<String>, Totals> expected(List<LedgerEntry> rows, SpendQuery q) {
        List<String> dims = new ArrayList<>();
        if (q.bucket() != null) dims.add(q.bucket());
        q.groupBy().forEach(d -> { if (!dims.contains(d)) dims.add(d); });
        Predicate<LedgerEntry> in = e -> (q.from() == null || !e.time().isBefore(q.from())) && (q.to() == null || e.time().isBefore(q.to()))
                && q.filters().entrySet().stream().allMatch(f -> f.getValue().equals(value(e, f.getKey())));
        Map<List<String>, Totals> out = new HashMap<>();
        for (LedgerEntry e : rows) {
            if (!in.test(e)) continue;
            List<String> key = dims.stream().map(d -> value(e, d)).toList();
            out.merge(key, new Totals(0, 0, 0, 0, 0, 0, BigDecimal.ZERO, BigDecimal.ZERO, 0).plus(e), (a, b) -> new Totals(a.requests + b.requests,
                    a.input + b.input, a.cached + b.cached, a.cacheWrite + b.cacheWrite, a.output + b.output,
                    a.reasoning + b.reasoning, a.cost.add(b.cost), a.saved.add(b.saved), a.attempts + b.attempts));
        }
        out.replaceAll((k, t) -> new Totals(t.requests, t.input, t.cached, t.cacheWrite, t.output, t.reasoning,
                t.cost.stripTrailingZeros(), t.saved.stripTrailingZeros(), t.attempts));
        return out;
    }

    static Map<List<String>, Totals> actual(List<SpendRow> rows) {
        Map<List<String>, Totals> out = new LinkedHashMap<>();
        for (SpendRow r : rows) out.put(new ArrayList<>(r.group().values()), Totals.of(r));
        return out;
    }

    static List<SpendQuery> queries() {
        Instant from = Instant.parse("2026-10-31T03:41:12.5Z");
        Instant to = Instant.parse("2026-11-02T17:05:00Z");
        return List.of(
                new SpendQuery(List.of(), null, null, null),
                new SpendQuery(List.of("team", "model"), null, null, null),
                new SpendQuery(List.of("team", "model"), from, to, null),
                new SpendQuery(List.of("feature"), from, to, Map.of("model", "gpt-4o", "status", "200"), "day"),
                new SpendQuery(List.of("key", "status_class"), from, null, null, "hour"),
                new SpendQuery(List.of("provider"), null, to, Map.of("team", "search"), "week"),
                new SpendQuery(List.of("price_version", "api"), Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-11-02T00:00:00Z"), null, "month"),
                // two tags: the daily rollup by tag set; a tag missing on whole days
                new SpendQuery(List.of("feature"), from, to, Map.of("team", "ads"), "day"),
                new SpendQuery(List.of("region", "team"), null, null, null),
                new SpendQuery(List.of("region"), from, null, null, "month"),
                // inside a single hour: raw rows only
                new SpendQuery(List.of("model"), Instant.parse("2026-11-01T10:05:00Z"), Instant.parse("2026-11-01T10:55:00Z"), null),
                // a raw-only tag: read from raw rows
                new SpendQuery(List.of("decision"), from, to, Map.of("feature", "chat")),
                // the cache column is not in the rollup either
                new SpendQuery(List.of("cache", "team"), from, to, null));
    }

    @Test
    void everyBreakdownEqualsTheSumOfItsRawRows() {
        List<LedgerEntry> rows = randomRows(42, 6000);
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            // three flushes, so the same rollup row is summed into across batches; the rows are in random order, so
            // each flush after the first re-rolls nearly every sealed hour (about 100), which is what takes the time
            for (int i = 0; i < rows.size(); i++) {
                ledger.append(rows.get(i));
                if (i % 2000 == 1999) ledger.flush();
            }
            ledger.flush();
            for (SpendQuery q : queries()) {
                Map<List<String>, Totals> expected = expected(rows, q);
                assertThat(expected).as("query %s selects rows", q).isNotEmpty();
                assertThat(actual(ledger.spend(q))).as("%s", q).isEqualTo(expected);
            }
        }
        // each sealed hour is rolled up once (rows for sealed hours roll it up again): one row per combination
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            long combinations = ledger.query("SELECT count(*) FROM (SELECT DISTINCT hour, " + String.join(", ", Rollup.KEY_COLUMNS)
                    + " FROM rollup_hourly)", List.of(), rs -> {
                rs.next();
                return rs.getLong(1);
            });
            assertThat(rollupRows(ledger)).isEqualTo(combinations).isLessThan(rows.size()).isPositive();
            for (SpendQuery q : queries()) assertThat(actual(ledger.spend(q))).as("%s", q).isEqualTo(expected(rows, q));
            // tag sets: one per distinct set of rolled-up tags among sealed rows, each with its (name, value) pairs
            Instant sealed = ledger.sealedUntil();
            long sets = rows.stream().filter(e -> e.time().isBefore(sealed)).map(e -> canonical(e.tags())).distinct().count();
            List<Long> counts = ledger.query("SELECT count(*), count(DISTINCT tags) FROM tag_sets", List.of(), rs -> {
                rs.next();
                return List.of(rs.getLong(1), rs.getLong(2));
            });
            assertThat(counts).containsExactly(sets, sets);
        }
    }

    /**
     * The same reconciliation at volume: a million rows in time order, written in the gateway writer's batch size, and
     * every breakdown still equal to the sum of its raw rows to the last digit. Heavy: {@code ./tollgate test-heavy}.
     */
    @Test
    @Tag("heavy")
    void aMillionRowsInTimeOrderReconcile() {
        List<LedgerEntry> rows = new ArrayList<>(randomRows(2026, 1_000_000));
        rows.sort(java.util.Comparator.comparing(LedgerEntry::time));
        try (DuckDbLedger ledger = DuckDbLedger.open(dir, 1 << 20)) {
            for (int i = 0; i < rows.size(); i++) {
                ledger.append(rows.get(i));
                if (i % 2048 == 2047) ledger.flush();
            }
            ledger.flush();
            assertThat(ledger.sealedUntil()).isAfter(START.plus(3, ChronoUnit.DAYS));
            for (SpendQuery q : queries()) assertThat(actual(ledger.spend(q))).as("%s", q).isEqualTo(expected(rows, q));
        }
    }

    /** Rows mostly in time order, as a gateway writes them, some arriving after their hour was sealed. */
    @Test
    void rowsInTimeOrderAndLateOnesReconcile() {
        List<LedgerEntry> rows = new ArrayList<>(randomRows(11, 6000));
        rows.sort(java.util.Comparator.comparing(LedgerEntry::time));
        List<LedgerEntry> order = new ArrayList<>(rows);
        for (int i = 0; i < 30; i++) order.add(order.remove(100 + i * 150)); // 30 rows written at the very end
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            for (int i = 0; i < order.size(); i++) {
                ledger.append(order.get(i));
                if (i % 500 == 499) {
                    ledger.flush();
                    if (i == 2999) {
                        for (SpendQuery q : queries()) {
                            assertThat(actual(ledger.spend(q))).as("half: %s", q).isEqualTo(expected(order.subList(0, 3000), q));
                        }
                    }
                }
            }
            ledger.flush();
            assertThat(ledger.sealedUntil()).isAfter(START.plus(3, ChronoUnit.DAYS));
            for (SpendQuery q : queries()) assertThat(actual(ledger.spend(q))).as("%s", q).isEqualTo(expected(rows, q));
            for (SpendQuery q : queries()) assertThat(SpendSql.raw(q).sql()).doesNotContain("rollup");
        }
    }

    @Test
    void lateHoursAreRolledUpAgainAsRunsOfConsecutiveHours() {
        long h = Rollup.HOUR_MICROS;
        List<long[]> runs = Rollup.runs(new java.util.TreeSet<>(List.of(0L, h, 2 * h, 5 * h, 7 * h, 8 * h)), h);
        assertThat(runs).containsExactly(new long[] {0, 3 * h}, new long[] {5 * h, 6 * h}, new long[] {7 * h, 9 * h});
        assertThat(Rollup.runs(new java.util.TreeSet<>(), h)).isEmpty();
    }

    @Test
    void piecesSplitARangeIntoRawEdgesHoursAndDays() {
        Instant from = Instant.parse("2026-10-31T03:41:12Z");
        Instant to = Instant.parse("2026-11-03T05:10:00Z");
        Instant sealed = Instant.parse("2026-11-02T07:00:00Z");
        assertThat(SpendSql.pieces(from, to, sealed, true)).containsExactly(
                new SpendSql.Piece(SpendSql.Grain.RAW, from, Instant.parse("2026-10-31T04:00:00Z")),
                new SpendSql.Piece(SpendSql.Grain.HOURS, Instant.parse("2026-10-31T04:00:00Z"), Instant.parse("2026-11-01T00:00:00Z")),
                new SpendSql.Piece(SpendSql.Grain.DAYS, Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-11-02T00:00:00Z")),
                new SpendSql.Piece(SpendSql.Grain.HOURS, Instant.parse("2026-11-02T00:00:00Z"), sealed),
                new SpendSql.Piece(SpendSql.Grain.RAW, sealed, to));
        assertThat(SpendSql.pieces(null, null, sealed, false)).containsExactly(
                new SpendSql.Piece(SpendSql.Grain.HOURS, null, sealed), new SpendSql.Piece(SpendSql.Grain.RAW, sealed, null));
        assertThat(SpendSql.pieces(from, Instant.parse("2026-10-31T04:30:00Z"), sealed, true))
                .containsExactly(new SpendSql.Piece(SpendSql.Grain.RAW, from, Instant.parse("2026-10-31T04:30:00Z")));
    }

    @Test
    void theTagPrefilterIsTextTheWritersJsonHoldsVerbatim() {
        for (String value : List.of("search", "ü/x y", "cust-42")) {
            String json = LedgerWriter.tagsJson(Map.of("team", value, "customer", "c"));
            assertThat(json).contains(SpendSql.tagPrefilter("team", value));
        }
        assertThat(SpendSql.tagPrefilter("team", "a\"b")).isNull();
        assertThat(SpendSql.tagPrefilter("team", "a\\b")).isNull();
        assertThat(SpendSql.tagPrefilter("team", "a\nb")).isNull();
    }

    static String canonical(Map<String, String> tags) {
        java.util.TreeMap<String, String> kept = new java.util.TreeMap<>(tags);
        Rollup.RAW_ONLY_TAGS.forEach(kept::remove);
        return kept.toString();
    }

    @Test
    void wholeDaysAndHoursComeFromTheRollupsAndRawOnlyTagsFromRawRows() {
        List<SpendQuery> q = queries();
        Instant sealed = Instant.parse("2026-11-03T00:00:00Z");
        assertThat(SpendSql.of(q.get(2), sealed).fromRollup()).isTrue();
        assertThat(SpendSql.of(q.get(2), sealed).sql()).contains("rollup_daily_tag").contains("rollup_hourly ").contains("UNION ALL");
        assertThat(SpendSql.of(q.get(4), sealed).sql()).contains("rollup_hourly_base").doesNotContain("rollup_daily");
        assertThat(SpendSql.of(q.get(8), sealed).sql()).contains("rollup_daily ");
        assertThat(SpendSql.of(q.get(10), sealed).sql()).doesNotContain("rollup");
        assertThat(SpendSql.of(q.get(11), sealed).fromRollup()).isFalse();
        assertThat(SpendSql.of(q.get(1), null).sql()).doesNotContain("rollup");
    }

    @Test
    void aLedgerWrittenBeforeRollupsExistedIsBackfilledOnOpen() throws Exception {
        List<LedgerEntry> rows = singleAttempts(randomRows(7, 3000, false)); // written as an older build did: no cache columns
        try (Connection conn = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve(DuckDbLedger.FILE_NAME));
             Statement s = conn.createStatement()) {
            s.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)");
            for (String sql : LedgerSchema.MIGRATIONS.getFirst().statements()) s.execute(sql);
            s.execute("INSERT INTO schema_version (version, description) VALUES (1, 'requests table')");
            List<Object[]> values = new ArrayList<>();
            for (LedgerEntry e : rows) {
                Usage u = e.usage();
                values.add(new Object[] {LedgerWriter.epochMicros(e.time()), e.requestId(), e.keyName(),
                        new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(e.tags()), e.api(), e.provider(),
                        e.deployment(), e.requestedModel(), e.servedModel(), u.inputTokens(), u.cachedInputTokens(),
                        u.cacheWrite5mTokens(), u.cacheWrite1hTokens(), u.outputTokens(), u.reasoningTokens(), e.costUsd(),
                        e.priceVersion(), e.status()});
            }
            insertRequests(conn, "(make_timestamp(?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1000, NULL, false, false)", values);
        }
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            for (SpendQuery q : queries()) {
                assertThat(actual(ledger.spend(q))).as("%s", q).isEqualTo(expected(rows, q));
            }
            // rows written after the backfill land in the same rollup rows
            List<LedgerEntry> more = randomRows(8, 500);
            more.forEach(ledger::append);
            ledger.flush();
            List<LedgerEntry> all = new ArrayList<>(rows);
            all.addAll(more);
            for (SpendQuery q : queries()) {
                assertThat(actual(ledger.spend(q))).as("%s", q).isEqualTo(expected(all, q));
            }
        }
    }

    /** A ledger the previous writer left (schema 5): uncompacted rollup rows, each tag set under two ids. */
    @Test
    void aLedgerOfSchemaFiveIsConvertedOnOpen() throws Exception {
        List<LedgerEntry> rows = singleAttempts(randomRows(21, 3000)); // schema 5 had no attempts
        String canon = "to_json(map_from_entries(list_sort(list_filter(map_entries(CAST(CAST(r.tags AS JSON) AS "
                + "MAP(VARCHAR, VARCHAR))), lambda e: e.key NOT IN ('decision')))))::VARCHAR";
        try (Connection conn = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve(DuckDbLedger.FILE_NAME));
             Statement s = conn.createStatement()) {
            LedgerSchema.migrate(conn, LedgerSchema.MIGRATIONS.subList(0, 5));
            List<Object[]> values = new ArrayList<>();
            for (LedgerEntry e : rows) {
                Usage u = e.usage();
                values.add(new Object[] {LedgerWriter.epochMicros(e.time()), e.requestId(), e.keyName(), LedgerWriter.tagsJson(e.tags()),
                        e.api(), e.provider(), e.deployment(), e.requestedModel(), e.servedModel(), u.inputTokens(),
                        u.cachedInputTokens(), u.cacheWrite5mTokens(), u.cacheWrite1hTokens(), u.outputTokens(),
                        u.reasoningTokens(), e.costUsd(), e.priceVersion(), e.status(), e.cache(), e.savedUsd()});
            }
            insertRequests(conn, "(make_timestamp(?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1000, NULL, false, false, ?, ?)", values);
            s.execute("INSERT INTO tag_sets SELECT 2 * (row_number() OVER (ORDER BY tags) - 1) + k, tags FROM "
                    + "(SELECT DISTINCT " + canon + " AS tags FROM requests r), (VALUES (0), (1)) v(k)");
            s.execute("INSERT INTO tag_values SELECT id, unnest(map_keys(m)), unnest(map_values(m)) FROM "
                    + "(SELECT id, CAST(CAST(tags AS JSON) AS MAP(VARCHAR, VARCHAR)) AS m FROM tag_sets)");
            // one rollup row per raw row, under either id of its tag set
            s.execute("INSERT INTO rollup_hourly SELECT date_trunc('hour', r.time), coalesce(r.key_name, ''), t.id, "
                    + "coalesce(r.api, ''), coalesce(r.provider, ''), coalesce(r.deployment, ''), coalesce(r.requested_model, ''), "
                    + "coalesce(r.served_model, ''), coalesce(r.price_version, ''), r.status, 1, r.input_tokens, "
                    + "r.cached_input_tokens, r.cache_write_5m_tokens, r.cache_write_1h_tokens, r.output_tokens, "
                    + "r.reasoning_tokens, r.cost_usd, r.saved_usd FROM requests r JOIN tag_sets t ON t.tags = " + canon
                    + " AND t.id % 2 = hash(r.request_id) % 2");
        }
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            assertThat(ledger.sealedUntil()).isEqualTo(rows.stream().map(LedgerEntry::time).max(Instant::compareTo)
                    .orElseThrow().truncatedTo(ChronoUnit.HOURS));
            for (SpendQuery q : queries()) assertThat(actual(ledger.spend(q))).as("%s", q).isEqualTo(expected(rows, q));
            List<Long> counts = ledger.query("SELECT count(*), count(DISTINCT tags) FROM tag_sets", List.of(), rs -> {
                rs.next();
                return List.of(rs.getLong(1), rs.getLong(2));
            });
            assertThat(counts.get(0)).isEqualTo(counts.get(1));
            List<LedgerEntry> more = randomRows(22, 500);
            more.forEach(ledger::append);
            ledger.flush();
            List<LedgerEntry> all = new ArrayList<>(rows);
            all.addAll(more);
            for (SpendQuery q : queries()) assertThat(actual(ledger.spend(q))).as("%s", q).isEqualTo(expected(all, q));
        }
    }

    /**
     * Rows into {@code requests} as an older build's SQL wrote them, {@code row} holding one row's parameters: many rows a
     * statement, as DuckDB runs a JDBC batch one statement a row (about 2 ms each: 3,000 rows took 6 s).
     */
    private static void insertRequests(Connection conn, String row, List<Object[]> values) throws SQLException {
        for (int from = 0; from < values.size(); from += 500) {
            List<Object[]> chunk = values.subList(from, Math.min(values.size(), from + 500));
            try (PreparedStatement p = conn.prepareStatement("INSERT INTO requests VALUES "
                    + String.join(", ", Collections.nCopies(chunk.size(), row)))) {
                int i = 0;
                for (Object[] v : chunk) for (Object value : v) p.setObject(++i, value);
                assertThat(p.executeUpdate()).isEqualTo(chunk.size());
            }
        }
    }

    private static long rollupRows(DuckDbLedger ledger) {
        return ledger.query("SELECT count(*) FROM rollup_hourly", List.of(), rs -> {
            rs.next();
            return rs.getLong(1);
        });
    }
}
