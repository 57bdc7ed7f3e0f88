package dev.tollgate.store.duckdb;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import org.duckdb.DuckDBAppender;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The hourly rollup of the ledger: table {@code rollup_hourly}, one row per hour and combination of the
 * {@link #KEY_COLUMNS}, holding the request count and the {@link #SUMS}. {@link LedgerWriter} keeps it current in
 * the same transaction as the raw rows it summarises, so rollup and raw rows always agree.
 *
 * <p><b>Key set (bounded).</b> hour × key × tags × api × provider × deployment × requested model × served model ×
 * price version × HTTP status. Every one of these has few values except tags; the rollup keeps the tag set minus
 * {@link #RAW_ONLY_TAGS} ({@code decision}, which names one workflow run and so is as unique as a request id).
 * Queries that group or filter on such a tag read raw rows. Missing strings are stored as {@code ''} (key columns
 * cannot be NULL) and read back as NULL. Tags are stored as JSON with sorted names, so equal tag sets share a row.
 *
 * <p><b>Adding a summed column</b> (say {@code saved_usd} from the cache): add one line to {@link #SUMS}; the table,
 * the upsert, the backfill and every spend query are generated from that list.
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
            new Sum("cost_usd", true, e -> LedgerWriter.cost(e.costUsd())));

    /** The rollup's key, in table order after {@code hour}. */
    static final List<String> KEY_COLUMNS = List.of("key_name", "tags", "api", "provider", "deployment",
            "requested_model", "served_model", "price_version", "status");

    /** Tags too fine-grained to roll up: they stay on raw rows only. */
    static final List<String> RAW_ONLY_TAGS = List.of("decision");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long HOUR_MICROS = 3_600_000_000L;

    private Rollup() {
    }

    private static Sum tokens(String column, java.util.function.ToLongFunction<Usage> f) {
        return new Sum(column, false, e -> f.applyAsLong(e.usage()));
    }

    /** Statements of the schema migration that creates the rollup and fills it from the rows already there. */
    static List<String> migration() {
        String sums = SUMS.stream().map(s -> s.column() + " " + s.sqlType() + " NOT NULL").collect(Collectors.joining(",\n"));
        String columns = """
                hour TIMESTAMP NOT NULL, key_name VARCHAR NOT NULL, tags VARCHAR NOT NULL, api VARCHAR NOT NULL,
                provider VARCHAR NOT NULL, deployment VARCHAR NOT NULL, requested_model VARCHAR NOT NULL,
                served_model VARCHAR NOT NULL, price_version VARCHAR NOT NULL, status INTEGER NOT NULL,
                requests BIGINT NOT NULL,
                """ + sums;
        String key = "hour, " + String.join(", ", KEY_COLUMNS);
        String backfill = "INSERT INTO rollup_hourly SELECT date_trunc('hour', time), coalesce(key_name, ''), "
                + canonicalTagsSql("tags") + ", coalesce(api, ''), coalesce(provider, ''), coalesce(deployment, ''), "
                + "coalesce(requested_model, ''), coalesce(served_model, ''), coalesce(price_version, ''), status, count(*), "
                + SUMS.stream().map(s -> "sum(" + s.column() + ")").collect(Collectors.joining(", "))
                + " FROM requests GROUP BY ALL";
        return List.of(
                "CREATE TABLE rollup_hourly (" + columns + ", PRIMARY KEY (" + key + "))",
                "CREATE TABLE rollup_staging (" + columns + ")",
                backfill);
    }

    /** SQL turning a raw row's tags JSON into the rollup's: sorted names, raw-only tags removed. */
    private static String canonicalTagsSql(String column) {
        String excluded = RAW_ONLY_TAGS.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", "));
        return "to_json(map_from_entries(list_sort(list_filter(map_entries(CAST(CAST(" + column
                + " AS JSON) AS MAP(VARCHAR, VARCHAR))), e -> e.key NOT IN (" + excluded + ")))))::VARCHAR";
    }

    /** Adds the staged batch to the rollup (summing into rows that exist) and empties the stage. */
    static List<String> mergeStaged() {
        String key = "hour, " + String.join(", ", KEY_COLUMNS);
        String set = "requests = requests + excluded.requests, " + SUMS.stream()
                .map(s -> s.column() + " = " + s.column() + " + excluded." + s.column()).collect(Collectors.joining(", "));
        return List.of("INSERT INTO rollup_hourly SELECT * FROM rollup_staging ON CONFLICT (" + key + ") DO UPDATE SET " + set,
                "DELETE FROM rollup_staging");
    }

    /** The rollup rows of one batch, summed in memory before they are staged. Used by the writer thread only. */
    static final class Batch {
        private record Key(long hourMicros, String keyName, String tags, String api, String provider,
                           String deployment, String requestedModel, String servedModel, String priceVersion,
                           int status) {
        }

        private final Map<Key, Object[]> groups = new LinkedHashMap<>();
        private final Map<Map<String, String>, String> tagsJson = new HashMap<>();

        void add(LedgerEntry e) {
            long micros = LedgerWriter.epochMicros(e.time());
            Key key = new Key(Math.floorDiv(micros, HOUR_MICROS) * HOUR_MICROS, nz(e.keyName()),
                    tagsJson.computeIfAbsent(e.tags(), Rollup::tagsJson), nz(e.api()), nz(e.provider()),
                    nz(e.deployment()), nz(e.requestedModel()), nz(e.servedModel()), nz(e.priceVersion()), e.status());
            Object[] sums = groups.computeIfAbsent(key, k -> zeros());
            sums[0] = (Long) sums[0] + 1;
            for (int i = 0; i < SUMS.size(); i++) {
                Object v = SUMS.get(i).value().apply(e);
                sums[i + 1] = v instanceof BigDecimal d ? ((BigDecimal) sums[i + 1]).add(d) : (Long) sums[i + 1] + (Long) v;
            }
        }

        boolean isEmpty() {
            return groups.isEmpty();
        }

        int size() {
            return groups.size();
        }

        /** Appends every group to {@code rollup_staging} in table column order. */
        void stage(DuckDBAppender a) throws SQLException {
            for (Map.Entry<Key, Object[]> g : groups.entrySet()) {
                Key k = g.getKey();
                a.beginRow();
                a.appendEpochMicros(k.hourMicros());
                a.append(k.keyName());
                a.append(k.tags());
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

        void clear() {
            groups.clear();
            if (tagsJson.size() > 4096) tagsJson.clear();
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
