package dev.tollgate.store.postgres;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.Outcome;
import dev.tollgate.store.OutcomeRow;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.duckdb.LedgerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded and the shared ledger, given the same rows, answer every query the same, and both match totals
 * computed here from the rows themselves (BigDecimal sums in Java, not SQL).
 */
class LedgerContractTest {

    /** Three days across a month boundary, long past, so that every hour but the last is sealed into the rollups. */
    private static final Instant START = Instant.parse("2026-10-30T22:17:00Z");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH':00Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyy-MM").withZone(ZoneOffset.UTC);

    @TempDir
    Path duckDir;
    @TempDir
    Path pgJournal;

    static List<LedgerEntry> rows(int count, long seed, Instant start) {
        Random r = new Random(seed);
        String[] models = {"gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "o3"};
        String[] keys = {"cx-prod", "search", "batch"};
        String[] teams = {"cx", "search", null};
        String[] caches = {null, null, null, "hit", "coalesced"};
        int[] statuses = {200, 200, 200, 200, 429, 500};
        List<LedgerEntry> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map<String, String> tags = new HashMap<>();
            String team = teams[r.nextInt(teams.length)];
            if (team != null) tags.put("team", team);
            tags.put("feature", "f" + r.nextInt(3));
            if (r.nextInt(4) == 0) tags.put("decision", "run-" + r.nextInt(20));
            String model = models[r.nextInt(models.length)];
            // twelve decimals, the ledger's precision: any error in a sum shows in the last digit
            BigDecimal cost = strip(BigDecimal.valueOf(r.nextLong(1, 50_000_000_000L), 12)); // as the ledgers answer it
            String cache = caches[r.nextInt(caches.length)];
            LedgerEntry.Attempt attempt = r.nextInt(10) == 0 ? new LedgerEntry.Attempt(2, null, model + "-upstream") : null;
            out.add(new LedgerEntry(start.plusSeconds(i * 97L + r.nextInt(60)).plusNanos(r.nextInt(1000) * 1000L),
                    "req-" + seed + "-" + i, keys[r.nextInt(keys.length)], tags, "openai.chat", model.startsWith("claude") ? "anthropic" : "openai",
                    model, model, model, new Usage(r.nextInt(5000), r.nextInt(100), 0, r.nextInt(3), r.nextInt(900), r.nextInt(50)),
                    cost, model + "@v1", statuses[r.nextInt(statuses.length)], null, 1000 + i, r.nextBoolean() ? -1 : 300,
                    r.nextBoolean(), false, cache, cache == null ? BigDecimal.ZERO : cost, false, attempt));
        }
        return out;
    }

    /** Why an attempt was followed by another: a retry, a fallback, a cascade's escalation. */
    private static final String[] REASONS = {"rate_limited", "server_error", "escalated"};

    /**
     * {@code rows} where every fifth request first made an attempt that did not stand (a row of its own before the
     * standing one, sharing the request id, with {@code attempt_reason} set: a retry, a fallback or a cascade's cheap
     * tier that escalated, on another model), the standing row being its second attempt.
     */
    static List<LedgerEntry> withAttempts(List<LedgerEntry> rows) {
        List<LedgerEntry> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            LedgerEntry e = rows.get(i);
            if (i % 5 != 0) {
                out.add(e);
                continue;
            }
            String reason = REASONS[i % REASONS.length];
            String cheap = "escalated".equals(reason) ? "gpt-4o-mini" : e.servedModel();
            out.add(new LedgerEntry(e.time().minusMillis(350), e.requestId(), e.keyName(), e.tags(), e.api(), e.provider(),
                    cheap, cheap, cheap, new Usage(e.usage().inputTokens(), 0, 0, 0, "escalated".equals(reason) ? 120 : 0, 0),
                    strip(e.costUsd().movePointLeft(2)), cheap + "@v1", "escalated".equals(reason) ? 200 : 500, null,
                    900, -1, e.stream(), false, null, BigDecimal.ZERO, false, new LedgerEntry.Attempt(1, reason, cheap)));
            out.add(new LedgerEntry(e.time(), e.requestId(), e.keyName(), e.tags(), e.api(), e.provider(), e.deployment(),
                    e.requestedModel(), e.servedModel(), e.usage(), e.costUsd(), e.priceVersion(), e.status(), e.error(),
                    e.latencyMicros(), e.ttftMicros(), e.stream(), e.estimated(), e.cache(), e.savedUsd(), e.unpriced(),
                    new LedgerEntry.Attempt(2, null, e.servedModel())));
        }
        return out;
    }

    /** A shadow call for {@code client}'s request (issue 13): its own row, later, sharing the request id. */
    static LedgerEntry shadowOf(LedgerEntry client) {
        Map<String, String> tags = new HashMap<>(client.tags());
        tags.put("shadow", "default");
        return new LedgerEntry(client.time().plusSeconds(2), client.requestId(), "shadow", tags, client.api(), "openai",
                "gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", new Usage(400, 0, 0, 0, 80, 0), new BigDecimal("0.000108"),
                "gpt-4o-mini@v1", 200, null, 700, -1, false, false, null, BigDecimal.ZERO, false, null);
    }

    /** Whether a row counts as a client request: its attempt stood (no reason to try again after it). */
    static boolean standing(LedgerEntry e) {
        return e.attempt() == null || e.attempt().reason() == null;
    }

    /** Totals per group computed in Java: group → requests, attempts, cost, saved, input and output tokens. */
    static Map<List<String>, List<Object>> expected(List<LedgerEntry> rows, Instant from, Instant to,
                                                    Function<LedgerEntry, Boolean> filter, List<Function<LedgerEntry, String>> dims) {
        Map<List<String>, List<Object>> out = new HashMap<>();
        for (LedgerEntry e : rows) {
            if (from != null && e.time().isBefore(from) || to != null && !e.time().isBefore(to) || !filter.apply(e)) continue;
            List<String> key = new ArrayList<>();
            for (Function<LedgerEntry, String> d : dims) key.add(d.apply(e));
            out.merge(key, List.of(standing(e) ? 1L : 0L, 1L, e.costUsd(), e.savedUsd(), e.usage().inputTokens(),
                            e.usage().outputTokens()),
                    (a, b) -> List.of((Long) a.get(0) + (Long) b.get(0), (Long) a.get(1) + 1,
                            ((BigDecimal) a.get(2)).add((BigDecimal) b.get(2)), ((BigDecimal) a.get(3)).add((BigDecimal) b.get(3)),
                            (Long) a.get(4) + (Long) b.get(4), (Long) a.get(5) + (Long) b.get(5)));
        }
        out.replaceAll((k, v) -> List.of(v.get(0), v.get(1), strip((BigDecimal) v.get(2)), strip((BigDecimal) v.get(3)),
                v.get(4), v.get(5)));
        return out;
    }

    static Map<List<String>, List<Object>> actual(List<SpendRow> rows, List<String> dims) {
        Map<List<String>, List<Object>> out = new HashMap<>();
        for (SpendRow r : rows) {
            List<String> key = new ArrayList<>();
            for (String d : dims) key.add(r.group().get(d));
            out.put(key, List.of(r.requests(), r.attempts(), r.costUsd(), r.savedUsd(), r.inputTokens(), r.outputTokens()));
        }
        return out;
    }

    static BigDecimal strip(BigDecimal v) {
        BigDecimal s = v.setScale(12, RoundingMode.HALF_EVEN).stripTrailingZeros();
        return s.scale() < 0 ? s.setScale(0) : s;
    }

    record Case(SpendQuery query, List<Function<LedgerEntry, String>> dims, Function<LedgerEntry, Boolean> filter) {
    }

    static List<Case> cases(Instant from, Instant to) {
        Function<LedgerEntry, String> model = LedgerEntry::servedModel;
        Function<LedgerEntry, String> key = LedgerEntry::keyName;
        Function<LedgerEntry, String> team = e -> e.tags().get("team");
        Function<LedgerEntry, String> decision = e -> e.tags().get("decision");
        Function<LedgerEntry, String> day = e -> DAY.format(e.time());
        Function<LedgerEntry, String> hour = e -> HOUR.format(e.time());
        Function<LedgerEntry, String> month = e -> MONTH.format(e.time());
        Function<LedgerEntry, String> statusClass = e -> e.status() / 100 + "xx";
        Function<LedgerEntry, String> cache = e -> e.cache() == null ? "none" : e.cache();
        return List.of(
                new Case(new SpendQuery(List.of(), null, null, null), List.of(), e -> true),
                new Case(new SpendQuery(List.of("model"), null, null, null), List.of(model), e -> true),
                new Case(new SpendQuery(List.of("key", "team"), from, to, null), List.of(key, team), e -> true),
                new Case(new SpendQuery(List.of("provider"), from, to, null, "day"), List.of(day, LedgerEntry::provider), e -> true),
                new Case(new SpendQuery(List.of("model"), from, to, null, "hour"), List.of(hour, model), e -> true),
                new Case(new SpendQuery(List.of("month", "status_class"), null, null, null), List.of(month, statusClass), e -> true),
                new Case(new SpendQuery(List.of("model"), from, to, Map.of("team", "cx")), List.of(model),
                        e -> "cx".equals(e.tags().get("team"))),
                new Case(new SpendQuery(List.of("cache"), null, null, null), List.of(cache), e -> true),
                new Case(new SpendQuery(List.of("decision"), from, to, Map.of("key", "search")), List.of(decision),
                        e -> "search".equals(e.keyName())));
    }

    private static Map<String, Ledger> ledgers(DuckDbLedger duck, PgLedger pg) {
        Map<String, Ledger> m = new LinkedHashMap<>();
        m.put("duckdb", duck);
        m.put("postgres", pg);
        return m;
    }

    @Test
    void bothLedgersAnswerTheSameRowsWithTheSameTotals() throws Exception {
        List<LedgerEntry> rows = new ArrayList<>(withAttempts(rows(2400, 7, START)));
        // a shadow call for a request that was retried: the newest row of its id, yet not the client's
        LedgerEntry retried = rows.get(1501);
        assertThat(rows.get(1500).attempt().reason()).isNotNull();
        LedgerEntry shadow = shadowOf(retried);
        rows.add(shadow);
        Instant from = START.plus(5, ChronoUnit.HOURS).plusSeconds(1234); // mid-hour edges: raw rows around rollups
        Instant to = START.plus(50, ChronoUnit.HOURS).plusSeconds(777);
        try (PgFixture fixture = new PgFixture(); PgDatabase db = fixture.open();
             DuckDbLedger duck = DuckDbLedger.open(duckDir);
             PgLedger pg = PgLedger.open(db, pgJournal, LedgerOptions.DEFAULTS)) {
            Map<String, Ledger> both = ledgers(duck, pg);
            for (Ledger l : both.values()) {
                rows.forEach(l::append);
                l.flush();
            }
            assertThat(pg.sealedUntil()).as("hours sealed into the rollups").isNotNull().isAfter(START.plus(2, ChronoUnit.DAYS));
            check(both, rows, from, to);

            // rows for hours long sealed (a request that ran past the grace) roll their hours and days up again
            List<LedgerEntry> late = withAttempts(rows(60, 8, START.plus(3, ChronoUnit.HOURS)));
            rows.addAll(late);
            for (Ledger l : both.values()) {
                late.forEach(l::append);
                l.flush();
            }
            check(both, rows, from, to);

            // recent, find and audit read the same rows back, field for field
            assertThat(pg.recent(7)).isEqualTo(duck.recent(7));
            LedgerEntry some = rows.get(1234);
            assertThat(pg.find(some.requestId())).contains(some);
            assertThat(duck.find(some.requestId())).contains(some);
            // a request with a failed attempt and a later shadow call: the look-up finds the client's standing row
            assertThat(retried.attempt()).isEqualTo(new LedgerEntry.Attempt(2, null, retried.servedModel()));
            assertThat(pg.find(shadow.requestId())).contains(retried);
            assertThat(duck.find(shadow.requestId())).contains(retried);
            // and every attempt of it, first first, without the shadow call
            List<LedgerEntry> attemptsOfRetried = List.of(rows.get(1500), retried);
            assertThat(rows.get(1500).requestId()).isEqualTo(retried.requestId());
            assertThat(pg.attempts(retried.requestId())).isEqualTo(attemptsOfRetried);
            assertThat(duck.attempts(retried.requestId())).isEqualTo(attemptsOfRetried);
            assertThat(duck.attempts("no-such-request")).isEmpty();
            SpendQuery audit = new SpendQuery(List.of(), from, to, Map.of("team", "search", "model", "o3"));
            List<LedgerEntry> expectedAudit = rows.stream()
                    .filter(e -> !e.time().isBefore(from) && e.time().isBefore(to))
                    .filter(e -> "search".equals(e.tags().get("team")) && "o3".equals(e.servedModel()))
                    .sorted((a, b) -> b.time().compareTo(a.time())).limit(25).toList();
            assertThat(expectedAudit).hasSize(25);
            assertThat(pg.audit(audit, 25)).isEqualTo(expectedAudit);
            assertThat(duck.audit(audit, 25)).isEqualTo(expectedAudit);

            // outcomes: requests with their own outcome, decisions with theirs, the latest one counting
            for (Ledger l : both.values()) {
                for (int i = 0; i < 300; i += 3) {
                    l.recordOutcome(new Outcome(START, rows.get(i).requestId(), null, i % 2 == 0, new BigDecimal("0.25")));
                }
                for (int d = 0; d < 20; d += 2) {
                    l.recordOutcome(new Outcome(START, null, "run-" + d, true, new BigDecimal("1.5")));
                    l.recordOutcome(new Outcome(START.plusSeconds(1), null, "run-" + d, d % 4 == 0, new BigDecimal("2")));
                }
            }
            SpendQuery byModel = new SpendQuery(List.of("model"), null, null, null);
            List<OutcomeRow> outcomes = pg.outcomes(byModel);
            assertThat(outcomes).isEqualTo(duck.outcomes(byModel));
            // per model, in Java: units are a request with its own outcome, else its decision
            Map<String, long[]> units = new TreeMap<>();
            Map<String, BigDecimal> cost = new TreeMap<>();
            Map<String, java.util.Set<String>> seen = new HashMap<>();
            // an outcome belongs to a request id, so to all its rows (its attempts, a shadow call)
            Map<String, Boolean> own = new HashMap<>();
            for (int i = 0; i < 300; i += 3) own.put(rows.get(i).requestId(), i % 2 == 0);
            for (LedgerEntry e : rows) {
                String decision = e.tags().get("decision");
                String unit;
                boolean success;
                if (own.containsKey(e.requestId())) {
                    unit = "r:" + e.requestId();
                    success = own.get(e.requestId());
                } else if (decision != null && Integer.parseInt(decision.substring(4)) % 2 == 0) {
                    unit = "d:" + decision;
                    success = Integer.parseInt(decision.substring(4)) % 4 == 0;
                } else {
                    continue;
                }
                String m = e.servedModel();
                long[] u = units.computeIfAbsent(m, k -> new long[3]);
                u[0]++;
                cost.merge(m, e.costUsd(), BigDecimal::add);
                if (seen.computeIfAbsent(m, k -> new java.util.HashSet<>()).add(unit)) {
                    u[1]++;
                    if (success) u[2]++;
                }
            }
            for (OutcomeRow o : outcomes) {
                long[] u = units.get(o.group().get("model"));
                assertThat(new long[] {o.requests(), o.outcomes(), o.successes()}).isEqualTo(u);
                assertThat(o.costUsd()).isEqualTo(strip(cost.get(o.group().get("model"))));
            }
            assertThat(outcomes).hasSize(units.size());

            // the rows landed in one partition per month (October and November), made by the writer
            try (Connection c = db.connection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT tableoid::regclass::text, count(*) FROM requests GROUP BY 1 ORDER BY 1")) {
                Map<String, Long> perPartition = new LinkedHashMap<>();
                while (rs.next()) perPartition.put(rs.getString(1), rs.getLong(2));
                long october = rows.stream().filter(e -> e.time().isBefore(Instant.parse("2026-11-01T00:00:00Z"))).count();
                assertThat(perPartition).containsExactly(Map.entry("requests_2026_10", october),
                        Map.entry("requests_2026_11", rows.size() - october));
            }
        }
    }

    private static void check(Map<String, Ledger> both, List<LedgerEntry> rows, Instant from, Instant to) {
        for (Case c : cases(from, to)) {
            var expected = expected(rows, c.query().from(), c.query().to(), c.filter(), c.dims());
            List<String> dims = new ArrayList<>();
            if (c.query().bucket() != null) dims.add(c.query().bucket());
            dims.addAll(c.query().groupBy());
            List<SpendRow> duck = both.get("duckdb").spend(c.query());
            List<SpendRow> pg = both.get("postgres").spend(c.query());
            assertThat(actual(pg, dims)).as("postgres: %s", c.query()).isEqualTo(expected);
            assertThat(actual(duck, dims)).as("duckdb: %s", c.query()).isEqualTo(expected);
            assertThat(pg).as("same rows in the same order: %s", c.query()).isEqualTo(duck);
        }
    }
}
