package dev.tollgate.store.duckdb;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import org.duckdb.DuckDBAppender;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The hourly rollup of the ledger, table {@code rollup_hourly}: request count and {@link #SUMS} per hour and
 * combination of the key columns. {@link LedgerWriter} adds every batch to it in the batch's own transaction, so
 * rollup and raw rows always agree; several rows may hold parts of one combination until the writer compacts them.
 *
 * <p><b>Key set (bounded).</b> hour × virtual key × tag set × api × provider × deployment × requested model ×
 * served model × price version × HTTP status. The tag set is an id into {@code tag_sets} (the canonical JSON: names
 * sorted, {@link #RAW_ONLY_TAGS} removed), and {@code tag_values} lists each set's (name, value) pairs, so a
 * breakdown by a tag joins a small table instead of parsing JSON per row. {@code decision} names one workflow run and
 * is as unique as a request id, so it stays on raw rows only. Missing strings are stored as {@code ''} and read back
 * as NULL.
 *
 * <p><b>Compaction.</b> Each batch appends its own sums (cheap: no index, no upsert). The writer later merges the
 * rows of the hours it touched into one row per combination ({@link #compact}), in one transaction, so readers see
 * the same totals before and after.
 *
 * <p><b>Adding a summed column</b> (as {@code saved_usd} from the cache was): add one line to {@link #SUMS}; the table,
 * batch sums, compaction, backfill and spend queries are generated from that list.
 */
final class Rollup {

    /** A column summed per rollup row: how to read it from an entry, and whether it is money. */
    record Sum(String column, boolean money, Function<LedgerEntry, Object> value) {
        String sqlType() {
            return money ? "DECIMAL(38,12)" : "BIGINT";
        }
    }

    static final List<Sum> SUMS = List.of(
            tokens("input_tokens", Usage::inputTokens),
            tokens("cached_input_tokens", Usage::cachedInputTokens),
            tokens("cache_write_5m_tokens", Usage::cacheWrite5mTokens),
            tokens("cache_write_1h_tokens", Usage::cacheWrite1hTokens),
            tokens("output_tokens", Usage::outputTokens),
            tokens("reasoning_tokens", Usage::reasoningTokens),
            new Sum("cost_usd", true, e -> LedgerWriter.cost(e.costUsd())),
            new Sum("saved_usd", true, e -> LedgerWriter.cost(e.savedUsd())));

    /** The rollup's key after {@code hour}, in table order. */
    static final List<String> KEY_COLUMNS = List.of("key_name", "tag_set", "api", "provider", "deployment",
            "requested_model", "served_model", "price_version", "status");

    /** Tags too fine-grained to roll up: they stay on raw rows only. */
    static final List<String> RAW_ONLY_TAGS = List.of("decision");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long HOUR_MICROS = 3_600_000_000L;
    private static final String SUM_LIST = SUMS.stream().map(Sum::column).collect(Collectors.joining(", "));
    private static final String KEY_LIST = "hour, " + String.join(", ", KEY_COLUMNS);

    private Rollup() {
    }

    private static Sum tokens(String column, java.util.function.ToLongFunction<Usage> f) {
        return new Sum(column, false, e -> f.applyAsLong(e.usage()));
    }

    /** Statements of the schema migration that creates the rollup and fills it from the rows already there. */
    static List<String> migration() {
        String columns = """
                hour TIMESTAMP NOT NULL, key_name VARCHAR NOT NULL, tag_set INTEGER NOT NULL, api VARCHAR NOT NULL,
                provider VARCHAR NOT NULL, deployment VARCHAR NOT NULL, requested_model VARCHAR NOT NULL,
                served_model VARCHAR NOT NULL, price_version VARCHAR NOT NULL, status INTEGER NOT NULL,
                requests BIGINT NOT NULL,
                """ + SUMS.stream().map(s -> s.column() + " " + s.sqlType() + " NOT NULL").collect(Collectors.joining(",\n"));
        return List.of(
                "CREATE TABLE tag_sets (id INTEGER NOT NULL, tags VARCHAR NOT NULL)",
                "CREATE TABLE tag_values (tag_set INTEGER NOT NULL, name VARCHAR NOT NULL, value VARCHAR NOT NULL)",
                "CREATE TABLE rollup_hourly (" + columns + ")",
                "CREATE TABLE rollup_compaction (" + columns + ")",
                // backfill: the tag sets of the rows already written, then their sums per hour
                "INSERT INTO tag_sets SELECT row_number() OVER (ORDER BY tags) - 1, tags FROM (SELECT DISTINCT "
                        + canonicalTagsSql("tags") + " AS tags FROM requests)",
                "INSERT INTO tag_values SELECT id, unnest(map_keys(m)), unnest(map_values(m)) FROM "
                        + "(SELECT id, CAST(CAST(tags AS JSON) AS MAP(VARCHAR, VARCHAR)) AS m FROM tag_sets)",
                "INSERT INTO rollup_hourly SELECT date_trunc('hour', r.time), coalesce(r.key_name, ''), s.id, "
                        + "coalesce(r.api, ''), coalesce(r.provider, ''), coalesce(r.deployment, ''), "
                        + "coalesce(r.requested_model, ''), coalesce(r.served_model, ''), coalesce(r.price_version, ''), "
                        + "r.status, count(*), " + SUMS.stream().map(s -> "sum(r." + s.column() + ")").collect(Collectors.joining(", "))
                        + " FROM requests r JOIN tag_sets s ON s.tags = " + canonicalTagsSql("r.tags") + " GROUP BY ALL");
    }

    /** SQL turning a raw row's tags JSON into the rollup's: sorted names, raw-only tags removed. */
    private static String canonicalTagsSql(String column) {
        String excluded = RAW_ONLY_TAGS.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", "));
        return "to_json(map_from_entries(list_sort(list_filter(map_entries(CAST(CAST(" + column
                + " AS JSON) AS MAP(VARCHAR, VARCHAR))), e -> e.key NOT IN (" + excluded + ")))))::VARCHAR";
    }

    /**
     * Merges the rows of the given hours into one row per combination, in the caller's transaction. Returns the
     * number of rows the hours now have.
     */
    static int compact(Connection conn, List<Long> hourMicros) throws SQLException {
        String hours = hourMicros.stream().map(h -> "make_timestamp(" + h + "::BIGINT)").collect(Collectors.joining(", "));
        String sums = SUMS.stream().map(s -> "sum(" + s.column() + ")").collect(Collectors.joining(", "));
        try (Statement s = conn.createStatement()) {
            int rows = s.executeUpdate("INSERT INTO rollup_compaction SELECT " + KEY_LIST + ", sum(requests), " + sums
                    + " FROM rollup_hourly WHERE hour IN (" + hours + ") GROUP BY ALL");
            s.executeUpdate("DELETE FROM rollup_hourly WHERE hour IN (" + hours + ")");
            s.executeUpdate("INSERT INTO rollup_hourly SELECT * FROM rollup_compaction");
            s.executeUpdate("DELETE FROM rollup_compaction");
            return rows;
        }
    }

    /**
     * Tag sets and their ids, as the writer assigns them. New sets are written with the batch that first uses them;
     * if that batch rolls back, {@link #rollback} forgets them so the ids are handed out again. The writer remembers
     * the {@value #REMEMBERED} most recently used sets; one that returns after being forgotten gets a new id, which
     * costs a little compression, never correctness (both ids carry the same tag values).
     */
    static final class TagSets {
        static final int REMEMBERED = 262_144;

        private final Map<String, Integer> ids = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
                return size() > REMEMBERED;
            }
        };
        /** Ids by the raw row's tags JSON: the writer hands the same String for the same tags, so lookups are cheap. */
        private final Map<String, Integer> byRawJson = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
                return size() > 65_536;
            }
        };
        private final List<String> pending = new ArrayList<>();
        private final List<Integer> pendingIds = new ArrayList<>();
        private int next;

        void load(Connection conn) throws SQLException {
            try (Statement s = conn.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT coalesce(max(id) + 1, 0) FROM tag_sets")) {
                    rs.next();
                    next = rs.getInt(1);
                }
                try (ResultSet rs = s.executeQuery("SELECT id, tags FROM tag_sets ORDER BY id DESC LIMIT " + REMEMBERED)) {
                    while (rs.next()) ids.putIfAbsent(rs.getString(2), rs.getInt(1));
                }
            }
        }

        /** The id of a row's tag set; {@code rawJson} is the row's tags as the raw table stores them. */
        int id(String rawJson, Map<String, String> tags) {
            Integer known = byRawJson.get(rawJson);
            if (known != null) return known;
            String json = tagsJson(tags);
            Integer id = ids.get(json);
            if (id == null) {
                id = next++;
                ids.put(json, id);
                pending.add(json);
                pendingIds.add(id);
            }
            byRawJson.put(rawJson, id);
            return id;
        }

        /** Appends the sets first used in this batch to tag_sets and tag_values (inside the batch's transaction). */
        void appendPending(DuckDBAppender sets, DuckDBAppender values) throws SQLException {
            for (int i = 0; i < pending.size(); i++) {
                int id = pendingIds.get(i);
                sets.beginRow();
                sets.append(id);
                sets.append(pending.get(i));
                sets.endRow();
                for (Map.Entry<String, String> tag : parse(pending.get(i)).entrySet()) {
                    values.beginRow();
                    values.append(id);
                    values.append(tag.getKey());
                    values.append(tag.getValue());
                    values.endRow();
                }
            }
        }

        boolean hasPending() {
            return !pending.isEmpty();
        }

        void committed() {
            pending.clear();
            pendingIds.clear();
        }

        void rollback() {
            for (String json : pending) ids.remove(json);
            byRawJson.values().removeIf(pendingIds::contains);
            if (!pendingIds.isEmpty()) next = pendingIds.getFirst();
            committed();
        }

        @SuppressWarnings("unchecked")
        private static Map<String, String> parse(String json) {
            try {
                return JSON.readValue(json, TreeMap.class);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The rollup rows of one batch, summed in memory and appended to {@code rollup_hourly}. Writer thread only. */
    static final class Batch {
        private record Key(long hourMicros, String keyName, int tagSet, String api, String provider,
                           String deployment, String requestedModel, String servedModel, String priceVersion,
                           int status) {
        }

        private final Map<Key, Object[]> groups = new LinkedHashMap<>();
        /** Hours written since the last compaction, and how many rows they got. */
        private final TreeSet<Long> dirtyHours = new TreeSet<>();
        private long dirtyRows;

        void add(LedgerEntry e, int tagSet) {
            long micros = LedgerWriter.epochMicros(e.time());
            Key key = new Key(Math.floorDiv(micros, HOUR_MICROS) * HOUR_MICROS, nz(e.keyName()), tagSet, nz(e.api()),
                    nz(e.provider()), nz(e.deployment()), nz(e.requestedModel()), nz(e.servedModel()),
                    nz(e.priceVersion()), e.status());
            Object[] sums = groups.computeIfAbsent(key, k -> zeros());
            sums[0] = (Long) sums[0] + 1;
            for (int i = 0; i < SUMS.size(); i++) {
                Object v = SUMS.get(i).value().apply(e);
                sums[i + 1] = v instanceof BigDecimal d ? ((BigDecimal) sums[i + 1]).add(d) : (Long) sums[i + 1] + (Long) v;
            }
        }

        /** Appends every group to {@code rollup_hourly} in table column order. */
        void append(DuckDBAppender a) throws SQLException {
            for (Map.Entry<Key, Object[]> g : groups.entrySet()) {
                Key k = g.getKey();
                a.beginRow();
                a.appendEpochMicros(k.hourMicros());
                a.append(k.keyName());
                a.append(k.tagSet());
                a.append(k.api());
                a.append(k.provider());
                a.append(k.deployment());
                a.append(k.requestedModel());
                a.append(k.servedModel());
                a.append(k.priceVersion());
                a.append(k.status());
                for (Object v : g.getValue()) {
                    if (v instanceof BigDecimal d) a.append(d); else a.append((long) (Long) v);
                }
                a.endRow();
            }
        }

        /** After the batch committed: remember which hours now need compacting. */
        void committed() {
            for (Key k : groups.keySet()) dirtyHours.add(k.hourMicros());
            dirtyRows += groups.size();
            groups.clear();
        }

        void discard() {
            groups.clear();
        }

        long dirtyRows() {
            return dirtyRows;
        }

        List<Long> dirtyHours() {
            return List.copyOf(dirtyHours);
        }

        void compacted() {
            dirtyHours.clear();
            dirtyRows = 0;
        }

        private static Object[] zeros() {
            Object[] z = new Object[SUMS.size() + 1];
            z[0] = 0L;
            for (int i = 0; i < SUMS.size(); i++) z[i + 1] = SUMS.get(i).money() ? BigDecimal.ZERO.setScale(12) : (Object) 0L;
            return z;
        }

        private static String nz(String s) {
            return s == null ? "" : s;
        }
    }

    /** The rollup's tags: sorted by name, without the raw-only tags; {@code {}} when none are left. */
    static String tagsJson(Map<String, String> tags) {
        TreeMap<String, String> kept = new TreeMap<>(tags);
        RAW_ONLY_TAGS.forEach(kept::remove);
        if (kept.isEmpty()) return "{}";
        try {
            return JSON.writeValueAsString(kept);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tags cannot be written as JSON", e);
        }
    }
}
