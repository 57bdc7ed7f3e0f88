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
 * Turns a {@link SpendQuery} into one parameterised SELECT, answered from the rollups whenever it can be.
 *
 * <p><b>Source.</b> When every grouped and filtered dimension is in the rollups (all column dimensions, and every tag
 * except {@link Rollup#RAW_ONLY_TAGS}), {@code [from, to)} is split ({@link #pieces}) into whole days, whole hours and
 * raw rows (the partial hours at the edges, and everything after the rollups' watermark), read in one UNION ALL from
 * the smallest tables that have the query's dimensions: the answer equals the raw rows' to the last digit, because
 * the rollups cover exactly the raw rows before the watermark (see {@link Rollup}). Otherwise everything is read
 * from {@code requests}.
 *
 * <p>Every value, including tag names, travels as a bound parameter; the only text spliced into the SQL is the
 * fixed expression for a column dimension and generated aliases ({@code g0}, {@code g1}, ...), so no dimension name
 * or filter value can change the statement. Dimension names are checked against the same pattern as
 * {@link SpendQuery}'s group-by names.
 *
 * <p>Dimension mapping: {@code key} → {@code key_name}, {@code model} → {@code served_model}, {@code status} as
 * text, {@code cache} → hit, near_hit, coalesced, idempotent or none (a provider call), {@code status_class} →
 * {@code 2xx}/{@code 4xx}/{@code 5xx}, {@code hour} → {@code yyyy-MM-ddTHH:00Z}, {@code day} → {@code yyyy-MM-dd}, {@code week} → the week's Monday ({@code yyyy-MM-dd}), {@code month} →
 * {@code yyyy-MM} (all UTC), the other columns by name, and any other name → that tag's value, NULL when the row
 * lacks the tag.
 *
 * @param sql        the statement
 * @param parameters its parameters, in order
 * @param groupBy    the grouped dimensions (bucket first, duplicates removed), selected as the first columns
 * @param fromRollup whether whole hours are read from the rollup
 */
public record SpendSql(String sql, List<Object> parameters, List<String> groupBy, boolean fromRollup) {

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
            Map.entry("minute", "strftime(t, '%Y-%m-%dT%H:%MZ')"), // raw rows only: the rollups are hourly
            Map.entry("hour", "strftime(t, '%Y-%m-%dT%H:00Z')"),
            Map.entry("day", "strftime(t, '%Y-%m-%d')"),
            Map.entry("week", "strftime(date_trunc('week', t), '%Y-%m-%d')"),
            Map.entry("month", "strftime(t, '%Y-%m')"),
            Map.entry("cache", "coalesce(cache, 'none')"));

    /**
     * Time dimensions: inside the query they are truncated timestamps (grouping on a timestamp is much cheaper than
     * formatting every row), formatted only once per group.
     */
    private static final Map<String, String> TIME_FORMAT = Map.of(
            "minute", "%Y-%m-%dT%H:%MZ", "hour", "%Y-%m-%dT%H:00Z", "day", "%Y-%m-%d", "week", "%Y-%m-%d", "month", "%Y-%m");

    /** The value a branch produces for a dimension: as {@link #expression}, but time dimensions stay timestamps. */
    private static String branchExpression(String dimension, List<Object> params) {
        return TIME_FORMAT.containsKey(dimension) ? "date_trunc('" + dimension + "', t)" : expression(dimension, params);
    }

    /** The outer query's value of branch column {@code v}: time dimensions formatted, others as they are. */
    private static String shown(String dimension, String v) {
        String format = TIME_FORMAT.get(dimension);
        return format == null ? v : "strftime(" + v + ", '" + format + "')";
    }

    /**
     * Column dimensions the rollup can answer. A column dimension added to {@link #COLUMN_SQL} but not here (say the
     * cache's {@code cache} column) is answered from raw rows, always correctly, until the rollup keys on it.
     */
    private static final java.util.Set<String> ROLLUP_COLUMNS = java.util.Set.of("key", "model", "requested_model",
            "provider", "deployment", "api", "status", "status_class", "price_version", "hour", "day", "week", "month");

    /** The rollup's string key columns, stored as '' when missing. */
    private static final String DIMENSION_COLUMNS = "key_name, api, provider, deployment, requested_model, served_model, price_version";
    private static final String SUM_COLUMNS = Rollup.SUMS.stream().map(Rollup.Sum::column).collect(Collectors.joining(", "));

    /** From raw rows only (for reconciliation). */
    static SpendSql raw(SpendQuery query) {
        return of(query, null);
    }

    /**
     * The statement for {@code query} when the rollups cover the rows before {@code sealedUntil} (null: none; see
     * {@link Rollup}).
     */
    static SpendSql of(SpendQuery query, Instant sealedUntil) {
        LinkedHashSet<String> dims = new LinkedHashSet<>();
        if (query.bucket() != null) dims.add(query.bucket());
        dims.addAll(query.groupBy());
        List<String> groupBy = List.copyOf(dims);
        List<Map.Entry<String, String>> filters = query.filters().entrySet().stream()
                .sorted(Map.Entry.comparingByKey()).toList(); // sorted: the same query always yields the same text
        filters.forEach(f -> dims.add(f.getKey()));
        List<String> all = List.copyOf(dims); // every dimension a branch must produce: v0, v1, ...
        all.forEach(d -> expression(d, new ArrayList<>())); // checks the names
        boolean rollup = sealedUntil != null && all.stream().allMatch(SpendSql::inRollup);

        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < groupBy.size(); i++) {
            sql.append(shown(groupBy.get(i), "v" + all.indexOf(groupBy.get(i)))).append(" AS g").append(i).append(", ");
        }
        sql.append("""
                CAST(coalesce(sum(requests), 0) AS BIGINT) AS requests,
                CAST(coalesce(sum(input_tokens), 0) AS BIGINT),
                CAST(coalesce(sum(cached_input_tokens), 0) AS BIGINT),
                CAST(coalesce(sum(cache_write_5m_tokens + cache_write_1h_tokens), 0) AS BIGINT),
                CAST(coalesce(sum(output_tokens), 0) AS BIGINT),
                CAST(coalesce(sum(reasoning_tokens), 0) AS BIGINT),
                coalesce(sum(cost_usd), 0) AS cost,
                coalesce(sum(saved_usd), 0) AS saved,
                CAST(coalesce(sum(attempts), 0) AS BIGINT) AS attempts
                FROM (""");
        List<Object> params = new ArrayList<>();
        sql.append(rollup ? rollupSource(all, query.from(), query.to(), sealedUntil, filters, params)
                : rawBranch(all, query.from(), query.to(), filters, params));
        sql.append(") src WHERE true");
        for (Map.Entry<String, String> f : filters) {
            sql.append(" AND ").append(shown(f.getKey(), "v" + all.indexOf(f.getKey()))).append(" = ?");
            params.add(f.getValue());
        }
        if (!groupBy.isEmpty()) {
            sql.append(" GROUP BY ");
            for (int i = 0; i < groupBy.size(); i++) sql.append(i == 0 ? "" : ", ").append("v").append(all.indexOf(groupBy.get(i)));
        }
        if (query.bucket() != null) {
            sql.append(" ORDER BY g0 ASC, cost DESC");
            for (int i = 1; i < groupBy.size(); i++) sql.append(", g").append(i).append(" ASC NULLS LAST");
        } else {
            sql.append(" ORDER BY cost DESC");
            for (int i = 0; i < groupBy.size(); i++) sql.append(", g").append(i).append(" ASC NULLS LAST");
        }
        return new SpendSql(sql.toString(), List.copyOf(params), groupBy, rollup);
    }

    private static boolean inRollup(String dimension) {
        return COLUMN_SQL.containsKey(dimension) ? ROLLUP_COLUMNS.contains(dimension) : !Rollup.RAW_ONLY_TAGS.contains(dimension);
    }

    private static boolean isTag(String dimension) {
        return !COLUMN_SQL.containsKey(dimension);
    }

    /**
     * Raw rows of {@code [from, to)} (either end may be open or null) as v0.., requests and the sums. Rows that
     * cannot match a tag filter are skipped before their JSON is parsed ({@link #tagPrefilter}).
     */
    private static String rawBranch(List<String> dims, Instant from, Instant to, List<Map.Entry<String, String>> filters,
                                    List<Object> params) {
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < dims.size(); i++) sql.append(branchExpression(dims.get(i), params)).append(" AS v").append(i).append(", ");
        // a client request is its standing row (no attempt_reason); a retried, fallen-back or escalated row is an attempt
        sql.append("CASE WHEN attempt_reason IS NULL THEN 1 ELSE 0 END AS requests, 1 AS attempts, ").append(SUM_COLUMNS).append(" FROM (SELECT time AS t, * FROM requests WHERE ")
                .append(range("time", from, to, params)).append(tagPrefilters(filters, params)).append(") r");
        return sql.toString();
    }

    /** {@link #tagPrefilter} for every tag filter that has one, as {@code AND contains(tags, ?)} terms. */
    static String tagPrefilters(List<Map.Entry<String, String>> filters, List<Object> params) {
        StringBuilder sql = new StringBuilder();
        for (Map.Entry<String, String> f : filters) {
            String text = COLUMN_SQL.containsKey(f.getKey()) ? null : tagPrefilter(f.getKey(), f.getValue());
            if (text == null) continue;
            sql.append(" AND contains(tags, ?)");
            params.add(text);
        }
        return sql.toString();
    }

    /**
     * The text a raw row's tags JSON must contain to have tag {@code name} = {@code value}: the writer's JSON
     * (Jackson, no spaces) holds the pair as {@code "name":"value"} verbatim unless the value needs escaping, in
     * which case there is no prefilter (null). A substring search is far cheaper than parsing the JSON; the exact
     * comparison still follows, so a row that merely contains the text is not taken.
     */
    static String tagPrefilter(String name, String value) {
        if (value == null) return null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\') return null;
        }
        return "\"" + name + "\":\"" + value + "\"";
    }

    /**
     * Rows of rollup {@code table} in {@code [from, to)} as v0.., requests and the sums. Tags come from tag_values
     * (tables keyed on a tag set) or the table's own value ({@code rollup_daily_tag}, read for the one tag of the
     * query); {@code complement} reads instead the tagless daily rows of the days on which that tag never occurred,
     * whose value of it is NULL.
     */
    private static String rollupBranch(Rollup.Table table, List<String> dims, Instant from, Instant to, boolean complement,
                                       List<Object> params) {
        Rollup.Table source = complement ? Rollup.Table.DAILY_BASE : table;
        String tag = table.tags == Rollup.Tags.ONE ? dims.stream().filter(SpendSql::isTag).findFirst().orElseThrow() : null;
        StringBuilder sql = new StringBuilder("SELECT ");
        StringBuilder joins = new StringBuilder();
        List<Object> joinParams = new ArrayList<>();
        for (int i = 0; i < dims.size(); i++) {
            String column;
            if (!isTag(dims.get(i))) {
                column = branchExpression(dims.get(i), params);
            } else if (tag != null) {
                column = complement ? "CAST(NULL AS VARCHAR)" : "r.value";
            } else {
                joins.append(" LEFT JOIN (SELECT tag_set, value FROM tag_values WHERE name = ?) tv").append(i)
                        .append(" ON tv").append(i).append(".tag_set = r.tag_set");
                joinParams.add(dims.get(i));
                column = "tv" + i + ".value";
            }
            sql.append(column).append(" AS v").append(i).append(", ");
        }
        String keep = switch (source.tags) {
            case SET -> "tag_set, ";
            case ONE -> "value, ";
            case NONE -> "";
        };
        sql.append("requests, attempts, ").append(SUM_COLUMNS).append(" FROM (SELECT ").append(source.period).append(" AS t, ")
                .append(Stream.of(DIMENSION_COLUMNS.split(", ")).map(c -> "NULLIF(" + c + ", '') AS " + c).collect(Collectors.joining(", ")))
                .append(", ").append(keep).append("status, requests, attempts, ").append(SUM_COLUMNS).append(" FROM ").append(source.name)
                .append(" WHERE ").append(range(source.period, from, to, params));
        if (tag != null && !complement) {
            sql.append(" AND name = ?");
            params.add(tag);
        } else if (tag != null) {
            sql.append(" AND day NOT IN (SELECT day FROM rollup_daily_names WHERE ").append(range("day", from, to, params))
                    .append(" AND name = ?)");
            params.add(tag);
        }
        sql.append(") r").append(joins);
        params.addAll(joinParams);
        return sql.toString();
    }

    /** A stretch of time and where it is read from: raw rows, hourly or daily rollups. */
    public enum Grain { RAW, HOURS, DAYS }

    public record Piece(Grain grain, Instant from, Instant to) {
    }

    /**
     * Splits {@code [from, to)} (either end null for open) into raw rows at the edges and after {@code sealedUntil},
     * whole hours, and whole days among them when {@code days}.
     */
    public static List<Piece> pieces(Instant from, Instant to, Instant sealedUntil, boolean days) {
        Instant a = from == null ? null : ceil(from, ChronoUnit.HOURS);
        Instant b = to == null ? sealedUntil : min(to.truncatedTo(ChronoUnit.HOURS), sealedUntil);
        if (a != null && !a.isBefore(b)) return List.of(new Piece(Grain.RAW, from, to));
        List<Piece> out = new ArrayList<>();
        if (from != null && from.isBefore(a)) out.add(new Piece(Grain.RAW, from, a));
        Instant d0 = a == null ? null : ceil(a, ChronoUnit.DAYS);
        Instant d1 = b.truncatedTo(ChronoUnit.DAYS);
        if (days && (d0 == null || d0.isBefore(d1))) {
            if (a != null && a.isBefore(d0)) out.add(new Piece(Grain.HOURS, a, d0));
            out.add(new Piece(Grain.DAYS, d0, d1));
            if (d1.isBefore(b)) out.add(new Piece(Grain.HOURS, d1, b));
        } else {
            out.add(new Piece(Grain.HOURS, a, b));
        }
        if (to == null || b.isBefore(to)) out.add(new Piece(Grain.RAW, b, to));
        return out;
    }

    /**
     * The smallest tables that have the query's dimensions: no tag, the tagless tables; one tag (by day or coarser),
     * the daily table per tag; else the tables keyed on the whole tag set. Grouping by hour reads no daily table.
     */
    private static String rollupSource(List<String> dims, Instant from, Instant to, Instant sealedUntil,
                                       List<Map.Entry<String, String>> filters, List<Object> params) {
        long tags = dims.stream().filter(SpendSql::isTag).count();
        boolean days = !dims.contains("hour");
        List<String> branches = new ArrayList<>();
        for (Piece p : pieces(from, to, sealedUntil, days)) {
            switch (p.grain()) {
                case RAW -> branches.add(rawBranch(dims, p.from(), p.to(), filters, params));
                case HOURS -> branches.add(rollupBranch(tags == 0 ? Rollup.Table.HOURLY_BASE : Rollup.Table.HOURLY,
                        dims, p.from(), p.to(), false, params));
                case DAYS -> {
                    Rollup.Table t = tags == 0 ? Rollup.Table.DAILY_BASE : tags == 1 ? Rollup.Table.DAILY_TAG : Rollup.Table.DAILY;
                    branches.add(rollupBranch(t, dims, p.from(), p.to(), false, params));
                    if (t == Rollup.Table.DAILY_TAG) branches.add(rollupBranch(t, dims, p.from(), p.to(), true, params));
                }
            }
        }
        return String.join(" UNION ALL ", branches);
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static Instant ceil(Instant t, ChronoUnit unit) {
        Instant floor = t.truncatedTo(unit);
        return floor.equals(t) ? t : floor.plus(1, unit);
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
