package dev.tollgate.gateway.observe;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a metric label's cardinality bounded: the first {@code max} distinct values are reported as they are,
 * every later one as {@value #OTHER}. A caller-chosen tag (a customer id, a typo) can then never create an
 * unbounded number of time series.
 */
final class BoundedLabel {

    static final String OTHER = "other";
    static final String NONE = "none";

    private final int max;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    BoundedLabel(int max) {
        this.max = max;
    }

    String of(String value) {
        if (value == null || value.isEmpty()) return NONE;
        if (seen.contains(value)) return value;
        // two threads may both pass the size check at the limit: the bound is then exceeded by at most the
        // number of event loops, which is fine for a cardinality guard
        if (seen.size() >= max) return OTHER;
        seen.add(value);
        return value;
    }
}
