package dev.tollgate.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A spend breakdown: totals grouped by {@code groupBy} over {@code [from, to)}, restricted to rows matching every
 * filter (dimension → value), optionally split into time buckets.
 *
 * <p>Dimensions: {@link #COLUMNS} (ledger columns, "model" meaning the served model) and any tag name.
 *
 * @param bucket null, or one of {@link #BUCKETS}: the rows are then also grouped by that period (a dimension named
 *               like the bucket, first in each row's group) and ordered by it, oldest first
 */
public record SpendQuery(List<String> groupBy, Instant from, Instant to, Map<String, String> filters, String bucket) {

    /** Dimensions that are columns of the ledger rather than tags. */
    public static final Set<String> COLUMNS = Set.of("key", "model", "requested_model", "provider", "deployment",
            "api", "status", "status_class", "price_version", "minute", "hour", "day", "week", "month", "cache");

    /** Time buckets: UTC hours, days, ISO weeks (named by their Monday) and calendar months. */
    public static final List<String> BUCKETS = List.of("hour", "day", "week", "month", "cache");

    public SpendQuery {
        groupBy = groupBy == null ? List.of() : List.copyOf(groupBy);
        filters = filters == null ? Map.of() : Map.copyOf(filters);
        for (String dim : groupBy) {
            if (!dim.matches("[A-Za-z0-9_.-]{1,64}")) throw new IllegalArgumentException("bad dimension: " + dim);
        }
        if (bucket != null && !BUCKETS.contains(bucket)) {
            throw new IllegalArgumentException("bucket must be one of " + String.join(", ", BUCKETS) + ", not '" + bucket + "'");
        }
    }

    public SpendQuery(List<String> groupBy, Instant from, Instant to, Map<String, String> filters) {
        this(groupBy, from, to, filters, null);
    }
}
