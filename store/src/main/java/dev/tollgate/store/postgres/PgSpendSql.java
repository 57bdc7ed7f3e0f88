package dev.tollgate.store.postgres;

import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.duckdb.SpendSql;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The shared ledger's SQL for spend, audit and outcome queries: the embedded ledger's queries ({@code duckdb.SpendSql},
 * {@code duckdb.OutcomeSql}) in PostgreSQL's dialect, with the same dimensions, filters, order and rollup rules. Every
 * value, tag names included, travels as a bound parameter.
 *
 * <p>Every source (raw rows, hourly and daily rollups) yields the same columns ({@code t}, the key columns,
 * {@code cache}, {@code tags} and the sums), so one expression per dimension serves them all. Text is ordered by
 * code point ({@code COLLATE "C"}), as DuckDB orders it, whatever the database's collation.
 */
final class PgSpendSql {

    private static final Pattern DIMENSION = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private static final Map<String, String> COLUMN_SQL = Map.ofEntries(
            Map.entry("key", "key_name"),
            Map.entry("model", "served_model"),
            Map.entry("requested_model", "requested_model"),
            Map.entry("provider", "provider"),
            Map.entry("deployment", "deployment"),
            Map.entry("api", "api"),
            Map.entry("status", "status::text"),
            Map.entry("status_class", "(status / 100)::text || 'xx'"),
            Map.entry("price_version", "price_version"),
            Map.entry("minute", "to_char(t, 'YYYY-MM-DD\"T\"HH24:MI\"Z\"')"),
            Map.entry("hour", "to_char(t, 'YYYY-MM-DD\"T\"HH24:00\"Z\"')"),
            Map.entry("day", "to_char(t, 'YYYY-MM-DD')"),
            Map.entry("week", "to_char(date_trunc('week', t), 'YYYY-MM-DD')"),
            Map.entry("month", "to_char(t, 'YYYY-MM')"),
            Map.entry("cache", "coalesce(cache, 'none')"));

    /** Column dimensions the rollups can answer (minute is finer than an hour; cache is not a rollup key). */
    private static final Set<String> ROLLUP_COLUMNS = Set.of("key", "model", "requested_model", "provider", "deployment",
            "api", "status", "status_class", "price_version", "hour", "day", "week", "month");

    private static final String KEYS = "key_name, api, provider, deployment, requested_model, served_model, price_version, status";
    private static final String SUMS = "input_tokens, cached_input_tokens, cache_write_5m_tokens, cache_write_1h_tokens,"
            + " output_tokens, reasoning_tokens, cost_usd, saved_usd";

    /** A statement with its parameters and the grouped dimensions, selected first as g0, g1, … */
    record Sql(String sql, List<Object> parameters, List<String> groupBy, boolean fromRollup) {
    }

    private PgSpendSql() {
    }

    /** The SQL of one dimension over a source's columns; a tag's name is added to {@code params}. */
    static String expression(String dimension, List<Object> params) {
        if (dimension == null || !DIMENSION.matcher(dimension).matches()) {
            throw new IllegalArgumentException("bad dimension: " + dimension);
        }
        String column = COLUMN_SQL.get(dimension);
        if (column != null) return column;
        params.add(dimension);
        return "(tags ->> ?)";
    }

    private static boolean inRollup(String dimension) {
        return COLUMN_SQL.containsKey(dimension) ? ROLLUP_COLUMNS.contains(dimension) : !PgRollup.RAW_ONLY_TAG.equals(dimension);
    }

    /** {@code column} within {@code [from, to)}; either end may be null. */
    static String range(String column, Instant from, Instant to, List<Object> params) {
        List<String> parts = new ArrayList<>();
        if (from != null) {
            parts.add(column + " >= ?");
            params.add(PgLedger.timestamp(from));
        }
        if (to != null) {
            parts.add(column + " < ?");
            params.add(PgLedger.timestamp(to));
        }
        return parts.isEmpty() ? "true" : String.join(" AND ", parts);
    }

    private static String raw(Instant from, Instant to, List<Object> params) {
        return "SELECT time AS t, " + KEYS + ", cache, tags, "
                // a client request is its standing row (no attempt_reason); a retried, fallen-back or escalated row is an attempt
                + "CASE WHEN attempt_reason IS NULL THEN 1 ELSE 0 END AS requests, 1 AS attempts, " + SUMS + " FROM requests WHERE "
                + range("time", from, to, params);
    }

    private static String rollup(String table, String period, Instant from, Instant to, List<Object> params) {
        return "SELECT " + period + " AS t, " + KEYS + ", NULL::text AS cache, tags, requests, attempts, " + SUMS + " FROM " + table
                + " WHERE " + range(period, from, to, params);
    }

    /** Totals per group, as {@link dev.tollgate.store.Ledger#spend}; rollups answer whole sealed hours and days. */
    static Sql spend(SpendQuery query, Instant sealedUntil) {
        LinkedHashSet<String> dims = new LinkedHashSet<>();
        if (query.bucket() != null) dims.add(query.bucket());
        dims.addAll(query.groupBy());
        List<String> groupBy = List.copyOf(dims);
        List<Map.Entry<String, String>> filters = query.filters().entrySet().stream().sorted(Map.Entry.comparingByKey()).toList();
        filters.forEach(f -> dims.add(f.getKey()));
        dims.forEach(d -> expression(d, new ArrayList<>())); // checks the names
        boolean fromRollup = sealedUntil != null && dims.stream().allMatch(PgSpendSql::inRollup);

        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT * FROM (SELECT ");
        for (int i = 0; i < groupBy.size(); i++) sql.append(expression(groupBy.get(i), params)).append(" AS g").append(i).append(", ");
        sql.append("""
                coalesce(sum(requests), 0)::bigint AS requests, coalesce(sum(input_tokens), 0)::bigint,
                coalesce(sum(cached_input_tokens), 0)::bigint,
                coalesce(sum(cache_write_5m_tokens + cache_write_1h_tokens), 0)::bigint,
                coalesce(sum(output_tokens), 0)::bigint, coalesce(sum(reasoning_tokens), 0)::bigint,
                coalesce(sum(cost_usd), 0) AS cost, coalesce(sum(saved_usd), 0) AS saved,
                coalesce(sum(attempts), 0)::bigint AS attempts FROM (""");
        if (fromRollup) {
            boolean days = !dims.contains("hour");
            List<String> branches = new ArrayList<>();
            for (SpendSql.Piece p : SpendSql.pieces(query.from(), query.to(), sealedUntil, days)) {
                branches.add(switch (p.grain()) {
                    case RAW -> raw(p.from(), p.to(), params);
                    case HOURS -> rollup("rollup_hourly", "hour", p.from(), p.to(), params);
                    case DAYS -> rollup("rollup_daily", "day", p.from(), p.to(), params);
                });
            }
            sql.append(String.join(" UNION ALL ", branches));
        } else {
            sql.append(raw(query.from(), query.to(), params));
        }
        sql.append(") src WHERE true");
        for (Map.Entry<String, String> f : filters) {
            sql.append(" AND ").append(expression(f.getKey(), params)).append(" = ?");
            params.add(f.getValue());
        }
        if (!groupBy.isEmpty()) {
            sql.append(" GROUP BY ");
            for (int i = 0; i < groupBy.size(); i++) sql.append(i == 0 ? "" : ", ").append(i + 1);
        }
        sql.append(") grouped ORDER BY ");
        if (query.bucket() != null) {
            sql.append("g0 COLLATE \"C\" ASC, cost DESC");
            for (int i = 1; i < groupBy.size(); i++) sql.append(", g").append(i).append(" COLLATE \"C\" ASC NULLS LAST");
        } else {
            sql.append("cost DESC");
            for (int i = 0; i < groupBy.size(); i++) sql.append(", g").append(i).append(" COLLATE \"C\" ASC NULLS LAST");
        }
        return new Sql(sql.toString(), List.copyOf(params), groupBy, fromRollup);
    }

    /** Raw rows for an audit, newest first (see {@link dev.tollgate.store.Ledger#audit}). */
    static Sql audit(SpendQuery query, int limit) {
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT " + PgLedger.ENTRY_COLUMNS + " FROM (SELECT time AS t, * FROM requests WHERE ")
                .append(range("time", query.from(), query.to(), params)).append(") src WHERE true");
        for (Map.Entry<String, String> f : query.filters().entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            sql.append(" AND ").append(expression(f.getKey(), params)).append(" = ?");
            params.add(f.getValue());
        }
        sql.append(" ORDER BY time DESC, seq DESC LIMIT ?");
        params.add((long) limit);
        return new Sql(sql.toString(), List.copyOf(params), List.of(), false);
    }

    /**
     * Cost per outcome over raw rows, with the embedded ledger's rules: a request counts with its own outcome when
     * one was recorded, else with its decision's; the latest outcome of a subject wins; each group's numbers are
     * summed per outcome first. Selected: g0.., requests, cost, outcomes, successes, value.
     */
    static Sql outcomes(SpendQuery query) {
        List<String> groupBy = List.copyOf(new LinkedHashSet<>(query.groupBy()));
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("""
                WITH latest AS (
                    SELECT DISTINCT ON (request_id, decision) request_id, decision, success, value_usd
                    FROM outcomes ORDER BY request_id, decision, time DESC),
                r AS (SELECT time AS t, * FROM requests WHERE\s""");
        sql.append(range("time", query.from(), query.to(), params)).append("),\nrf AS (SELECT ");
        StringBuilder groups = new StringBuilder();
        for (int i = 0; i < groupBy.size(); i++) {
            sql.append(expression(groupBy.get(i), params)).append(" AS g").append(i).append(", ");
            groups.append("g").append(i).append(", ");
        }
        sql.append("request_id, tags ->> 'decision' AS decision, cost_usd FROM r WHERE true");
        for (Map.Entry<String, String> f : query.filters().entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            sql.append(" AND ").append(expression(f.getKey(), params)).append(" = ?");
            params.add(f.getValue());
        }
        sql.append("""
                ),
                linked AS (
                    SELECT rf.*,
                           CASE WHEN own.request_id IS NOT NULL THEN 'r:' || rf.request_id ELSE 'd:' || rf.decision END AS unit,
                           CASE WHEN own.request_id IS NOT NULL THEN own.success ELSE dec.success END AS success,
                           CASE WHEN own.request_id IS NOT NULL THEN own.value_usd ELSE dec.value_usd END AS value_usd
                    FROM rf
                    LEFT JOIN latest own ON own.request_id IS NOT NULL AND own.request_id = rf.request_id
                    LEFT JOIN latest dec ON dec.decision IS NOT NULL AND dec.decision = rf.decision
                    WHERE own.request_id IS NOT NULL OR dec.decision IS NOT NULL),
                units AS (
                    SELECT\s""").append(groups).append("""
                unit, count(*) AS requests, sum(cost_usd) AS cost, bool_or(success) AS success, max(value_usd) AS value_usd
                    FROM linked GROUP BY\s""").append(groups).append("unit)\nSELECT * FROM (SELECT ").append(groups).append("""
                coalesce(sum(requests), 0)::bigint, coalesce(sum(cost), 0) AS cost, count(*),
                count(*) FILTER (WHERE success), coalesce(sum(value_usd) FILTER (WHERE success), 0)
                FROM units""");
        if (!groupBy.isEmpty()) sql.append(" GROUP BY ").append(groups, 0, groups.length() - 2);
        sql.append(") grouped ORDER BY cost DESC");
        for (int i = 0; i < groupBy.size(); i++) sql.append(", g").append(i).append(" COLLATE \"C\" ASC NULLS LAST");
        return new Sql(sql.toString(), List.copyOf(params), groupBy, false);
    }
}
