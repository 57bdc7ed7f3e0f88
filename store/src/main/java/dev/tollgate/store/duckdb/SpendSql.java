package dev.tollgate.store.duckdb;

import dev.tollgate.store.SpendQuery;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns a {@link SpendQuery} into one parameterised SELECT over {@code requests}.
 *
 * <p>Every value, including tag names, travels as a bound parameter; the only text spliced into the SQL is the
 * fixed expression for a column dimension and generated aliases ({@code g0}, {@code g1}, ...), so no dimension name
 * or filter value can change the statement. Dimension names are still checked against the same pattern as
 * {@link SpendQuery}'s group-by names (filter names are not checked there).
 *
 * <p>Dimension mapping: {@code key} → {@code key_name}, {@code model} → {@code served_model}, {@code status} as
 * text, {@code cache} (hit, coalesced, idempotent, or none for a provider call), {@code day} → {@code yyyy-MM-dd} and {@code hour} → {@code yyyy-MM-ddTHH:00Z} (UTC), the other columns by
 * name, and any other name → that tag's value, NULL when the row lacks the tag.
 *
 * @param sql        the statement
 * @param parameters its parameters, in order
 * @param groupBy    the grouped dimensions (duplicates removed), selected as the first columns in this order
 */
record SpendSql(String sql, List<Object> parameters, List<String> groupBy) {

    private static final Pattern DIMENSION = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    /** Column dimensions and the SQL expression for each; anything else is a tag. */
    private static final Map<String, String> COLUMN_SQL = Map.of(
            "key", "key_name",
            "model", "served_model",
            "requested_model", "requested_model",
            "provider", "provider",
            "deployment", "deployment",
            "api", "api",
            "status", "CAST(status AS VARCHAR)",
            "price_version", "price_version",
            "day", "strftime(time, '%Y-%m-%d')",
            "hour", "strftime(time, '%Y-%m-%dT%H:00Z')");

    static SpendSql of(SpendQuery query) {
        List<String> groupBy = List.copyOf(new LinkedHashSet<>(query.groupBy()));
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < groupBy.size(); i++) {
            sql.append(expression(groupBy.get(i), params)).append(" AS g").append(i).append(", ");
        }
        sql.append("""
                count(*) AS requests,
                CAST(coalesce(sum(input_tokens), 0) AS BIGINT),
                CAST(coalesce(sum(cached_input_tokens), 0) AS BIGINT),
                CAST(coalesce(sum(cache_write_5m_tokens + cache_write_1h_tokens), 0) AS BIGINT),
                CAST(coalesce(sum(output_tokens), 0) AS BIGINT),
                CAST(coalesce(sum(reasoning_tokens), 0) AS BIGINT),
                coalesce(sum(cost_usd), 0) AS cost,
                coalesce(sum(saved_usd), 0) AS saved
                FROM requests WHERE true""");
        if (query.from() != null) {
            sql.append(" AND time >= make_timestamp(?::BIGINT)");
            params.add(LedgerWriter.epochMicros(query.from()));
        }
        if (query.to() != null) {
            sql.append(" AND time < make_timestamp(?::BIGINT)");
            params.add(LedgerWriter.epochMicros(query.to()));
        }
        // sorted so that the same query always yields the same statement text
        for (Map.Entry<String, String> f : query.filters().entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            sql.append(" AND ").append(expression(f.getKey(), params)).append(" = ?");
            params.add(f.getValue());
        }
        if (!groupBy.isEmpty()) {
            sql.append(" GROUP BY ");
            for (int i = 0; i < groupBy.size(); i++) sql.append(i == 0 ? "" : ", ").append("g").append(i);
        }
        sql.append(" ORDER BY cost DESC");
        for (int i = 0; i < groupBy.size(); i++) sql.append(", g").append(i).append(" ASC NULLS LAST");
        return new SpendSql(sql.toString(), List.copyOf(params), groupBy);
    }

    /** The SQL for one dimension; a tag's name is added to {@code params} and referenced as {@code ?}. */
    private static String expression(String dimension, List<Object> params) {
        if (dimension == null || !DIMENSION.matcher(dimension).matches()) {
            throw new IllegalArgumentException("bad dimension: " + dimension);
        }
        String column = dimension.equals("cache") ? "coalesce(cache, 'none')" : COLUMN_SQL.get(dimension);
        if (column != null) return column;
        params.add("$.\"" + dimension + "\""); // a quoted JSON path; the pattern admits no quote or backslash
        return "json_extract_string(tags, ?)";
    }
}
