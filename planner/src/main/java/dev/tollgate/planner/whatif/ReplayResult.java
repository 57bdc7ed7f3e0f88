package dev.tollgate.planner.whatif;

import java.math.BigDecimal;
import java.util.Map;

/**
 * Cost before (as the ledger recorded it) and after a replay, in total and per dimension.
 *
 * @param savingByPart  per policy part (routing, cache, …), the cost it removed; negative when it added cost
 * @param byModel       per model as originally served: before and after
 * @param byScope       per value of the scope tag: before and after
 * @param unpriced      rows whose changed model or usage the catalog could not price (kept at their ledger cost)
 */
public record ReplayResult(long rows, BigDecimal before, BigDecimal after, Map<String, BigDecimal> savingByPart,
                           Map<String, BeforeAfter> byModel, Map<String, BeforeAfter> byScope, long routed,
                           long cacheHits, long trimmed, long capped, long selfHosted, long unpriced) {

    /** One dimension value's cost before and after. */
    public record BeforeAfter(long requests, BigDecimal before, BigDecimal after) {
        public BigDecimal saving() {
            return before.subtract(after);
        }
    }

    public BigDecimal saving() {
        return before.subtract(after);
    }
}
