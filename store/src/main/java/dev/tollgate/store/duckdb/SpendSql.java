package dev.tollgate.store.duckdb;

import dev.tollgate.store.SpendQuery;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Turns a {@link SpendQuery} into one parameterised SELECT, answered from the hourly rollup whenever it can be.
 *
 * <p><b>Source.</b> When every grouped and filtered dimension is in the rollup (all column dimensions, and every tag
 * except {@link Rollup#RAW_ONLY_TAGS}), whole hours are read from {@code rollup_hourly} and only the partial hours at
 * the edges of {@code [from, to)} from raw rows, in one UNION ALL: the answer equals the raw rows' to the last digit,
 * because the writer keeps both in one transaction. Otherwise everything is read from {@code requests}.
 *
 * <p>Every value, including tag names, travels as a bound parameter; the only text spliced into the SQL is the
 * fixed expression for a column dimension and generated aliases ({@code g0}, {@code g1}, ...), so no dimension name
 * or filter value can change the statement. Dimension names are checked against the same pattern as
 * {@link SpendQuery}'s group-by names.
 *
 * <p>Dimension mapping: {@code key} → {@code key_name}, {@code model} → {@code served_model}, {@code status} as
 * text, {@code status_class} → {@code 2xx}/{@code 4xx}/{@code 5xx}, {@code hour} → {@code yyyy-MM-ddTHH:00Z},
 * {@code day} → {@code yyyy-MM-dd}, {@code week} → the week's Monday ({@code yyyy-MM-dd}), {@code month} →
 * {@code yyyy-MM} (all UTC), the other columns by name, and any other name → that tag's value, NULL when the row
 * lacks the tag.
 *
 * @param sql        the statement
 * @param parameters its parameters, in order
 * @param groupBy    the grouped dimensions (bucket first, duplicates removed), selected as the first columns
 * @param fromRollup whether whole hours are read from the rollup
 */
record SpendSql(String sql, List<Object> parameters, List<String> groupBy, boolean fromRollup) {

    private static final Pattern DIMENSION = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    /** Column dimensions and the SQL expression for each over the source's columns; anything else is a tag. */
    private static final Map<String, String> COLUMN_SQL = Map.ofEntries(
            Map.entry("key", "key_name"),
            Map.entry("model", "served_model"),
            Map.entry("requested_model", "requested_model"),
            Map.entry("provider", "provider"),
            Map.entry("deployment", "deployment"),
            Map.entry("api", "api"),
            Map.entry("status", "CAST(status AS VARCHAR)"),
            Map.entry("status_class", "CAST(status // 100 AS VARCHAR) || 'xx'"),
            Map.entry("price_version", "price_version"),
            Map.entry("hour", "strftime(t, '%Y-%m-%dT%H:00Z')"),
            Map.entry("day", "strftime(t, '%Y-%m-%d')"),
            Map.entry("week", "strftime(date_trunc('week', t), '%Y-%m-%d')"),
            Map.entry("month", "strftime(t, '%Y-%m')"));

    /** Column dimensions the rollup can answer (a column added to raw rows only is left out here). */
    private static final java.util.Set<String> ROLLUP_COLUMNS = COLUMN_SQL.keySet();

    private static final String DIMENSION_COLUMNS = "key_name, tags, api, provider, deployment, requested_model, served_model, price_version, status";
    private static final String SUM_COLUMNS = Rollup.SUMS.stream().map(Rollup.Sum::column).collect(Collectors.joining(", "));

    static SpendSql of(SpendQuery query) {
        return of(query, true);
    }

    /** As {@link #of(SpendQuery)}; with {@code rollupAllowed} false, always from raw rows (for reconciliation). */
    static SpendSql of(SpendQuery query, boolean rollupAllowed) {
        LinkedHashSet<String> dims = new LinkedHashSet<>();
        if (query.bucket() != null) dims.add(query.bucket());
        dims.addAll(query.groupBy());
        List<String> groupBy = List.copyOf(dims);
        List<Map.Entry<String, String>> filters = query.filters().entrySet().stream()
                .sorted(Map.Entry.comparingByKey()).toList(); // sorted: the same query always yields the same text
        boolean rollup = rollupAllowed && groupBy.stream().allMatch(SpendSql::inRollup)
                && filters.stream().allMatch(f -> inRollup(f.getKey()));

        List<Object> selectParams = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < groupBy.size(); i++) {
            sql.append(expression(groupBy.get(i), selectParams)).append(" AS g").append(i).append(", ");
        }
        sql.append("""
                CAST(coalesce(sum(requests), 0) AS BIGINT) AS requests,
                CAST(coalesce(sum(input_tokens), 0) AS BIGINT),
                CAST(coalesce(sum(cached_input_tokens), 0) AS BIGINT),
                CAST(coalesce(sum(cache_write_5m_tokens + cache_write_1h_tokens), 0) AS BIGINT),
                CAST(coalesce(sum(output_tokens), 0) AS BIGINT),
                CAST(coalesce(sum(reasoning_tokens), 0) AS BIGINT),
                coalesce(sum(cost_usd), 0) AS cost
                FROM\s""");
        List<Object> fromParams = new ArrayList<>();
        sql.append(rollup ? rollupSource(query.from(), query.to(), fromParams) : rawSource(query.from(), query.to(), fromParams));
        List<Object> whereParams = new ArrayList<>();
        sql.append(" WHERE true");
        for (Map.Entry<String, String> f : filters) {
            sql.append(" AND ").append(expression(f.getKey(), whereParams)).append(" = ?");
            whereParams.add(f.getValue());
        }
        if (!groupBy.isEmpty()) {
            sql.append(" GROUP BY ");
            for (int i = 0; i < groupBy.size(); i++) sql.append(i == 0 ? "" : ", ").append("g").append(i);
        }
        if (query.bucket() != null) {
            sql.append(" ORDER BY g0 ASC, cost DESC");
            for (int i = 1; i < groupBy.size(); i++) sql.append(", g").append(i).append(" ASC NULLS LAST");
        } else {
            sql.append(" ORDER BY cost DESC");
            for (int i = 0; i < groupBy.size(); i++) sql.append(", g").append(i).append(" ASC NULLS LAST");
        }
        List<Object> params = new ArrayList<>(selectParams);
        params.addAll(fromParams);
        params.addAll(whereParams);
        return new SpendSql(sql.toString(), List.copyOf(params), groupBy, rollup);
    }

    private static boolean inRollup(String dimension) {
        return COLUMN_SQL.containsKey(dimension) ? ROLLUP_COLUMNS.contains(dimension) : !Rollup.RAW_ONLY_TAGS.contains(dimension);
    }

    /** Raw rows in {@code [from, to)} (either end may be open), as the source's columns. */
    private static String rawSource(Instant from, Instant to, List<Object> params) {
        return "(SELECT time AS t, " + DIMENSION_COLUMNS + ", 1 AS requests, " + SUM_COLUMNS + " FROM requests WHERE "
                + range("time", from, to, params) + ") src";
    }

    /**
     * Whole hours from the rollup, the partial hours at either end from raw rows. A range that covers no whole hour
     * is read from raw rows alone.
     */
    private static String rollupSource(Instant from, Instant to, List<Object> params) {
        Instant firstHour = from == null ? null : ceilHour(from);
        Instant endHour = to == null ? null : to.truncatedTo(ChronoUnit.HOURS);
        if (firstHour != null && endHour != null && !firstHour.isBefore(endHour)) return rawSource(from, to, params);
        StringBuilder sql = new StringBuilder("(SELECT hour AS t, ");
        sql.append(Stream.of(DIMENSION_COLUMNS.split(", "))
                .map(c -> c.equals("tags") || c.equals("status") ? c : "NULLIF(" + c + ", '') AS " + c)
                .collect(Collectors.joining(", ")));
        sql.append(", requests, ").append(SUM_COLUMNS).append(" FROM rollup_hourly WHERE ")
                .append(range("hour", firstHour, endHour, params));
        List<String> edges = new ArrayList<>();
        if (from != null && from.isBefore(firstHour)) edges.add(range("time", from, firstHour, params));
        if (to != null && endHour.isBefore(to)) edges.add(range("time", endHour, to, params));
        if (!edges.isEmpty()) {
            sql.append(" UNION ALL SELECT time, ").append(DIMENSION_COLUMNS).append(", 1, ").append(SUM_COLUMNS)
                    .append(" FROM requests WHERE (").append(String.join(") OR (", edges)).append(")");
        }
        return sql.append(") src").toString();
    }

    static String range(String column, Instant from, Instant to, List<Object> params) {
        List<String> parts = new ArrayList<>();
        if (from != null) {
            parts.add(column + " >= make_timestamp(?::BIGINT)");
            params.add(LedgerWriter.epochMicros(from));
        }
        if (to != null) {
            parts.add(column + " < make_timestamp(?::BIGINT)");
            params.add(LedgerWriter.epochMicros(to));
        }
        return parts.isEmpty() ? "true" : String.join(" AND ", parts);
    }

    private static Instant ceilHour(Instant t) {
        Instant floor = t.truncatedTo(ChronoUnit.HOURS);
        return floor.equals(t) ? t : floor.plus(1, ChronoUnit.HOURS);
    }

    /** The SQL for one dimension; a tag's name is added to {@code params} and referenced as {@code ?}. */
    static String expression(String dimension, List<Object> params) {
        if (dimension == null || !DIMENSION.matcher(dimension).matches()) {
            throw new IllegalArgumentException("bad dimension: " + dimension);
        }
        String column = COLUMN_SQL.get(dimension);
        if (column != null) return column;
        params.add("$.\"" + dimension + "\""); // a quoted JSON path; the pattern admits no quote or backslash
        return "json_extract_string(tags, ?)";
    }
}
