package dev.tollgate.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A spend breakdown: totals grouped by {@code groupBy} over {@code [from, to)}, restricted to rows matching every
 * filter (dimension → value).
 *
 * <p>Dimensions: {@link #COLUMNS} (ledger columns, "model" meaning the served model) and any tag name.
 */
public record SpendQuery(List<String> groupBy, Instant from, Instant to, Map<String, String> filters) {

    /** Dimensions that are columns of the ledger rather than tags. */
    public static final Set<String> COLUMNS = Set.of("key", "model", "requested_model", "provider", "deployment",
            "api", "status", "price_version", "day", "hour", "cache");

    public SpendQuery {
        groupBy = groupBy == null ? List.of() : List.copyOf(groupBy);
        filters = filters == null ? Map.of() : Map.copyOf(filters);
        for (String dim : groupBy) {
            if (!dim.matches("[A-Za-z0-9_.-]{1,64}")) throw new IllegalArgumentException("bad dimension: " + dim);
        }
    }
}
