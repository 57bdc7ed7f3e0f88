package dev.tollgate.planner.whatif;

import java.math.BigDecimal;
import java.util.Map;

/**
 * Cost before (as the ledger recorded it) and after a replay, in total and per dimension.
 *
 * @param savingByPart  per policy part (routing, cache, …), the cost it removed; negative when it added cost
 * @param byModel       per model: before under the model that served it, after under the one that serves it under
 *                      the policy (a route's target, "MODEL (self-hosted)", "(response cache)" for a hit)
 * @param byScope       per value of the scope tag: before and after
 * @param unpriced      rows whose changed model or usage the catalog could not price (kept at their ledger cost)
 */
public record ReplayResult(long rows, BigDecimal before, BigDecimal after, Map<String, BigDecimal> savingByPart,
                           Map<String, BeforeAfter> byModel, Map<String, BeforeAfter> byScope, long routed,
                           long cacheHits, long trimmed, long capped, long selfHosted, long unpriced) {

    /**
     * One dimension value's cost before and after.
     *
     * @param requests      requests before the replay
     * @param requestsAfter requests after it (differs from {@code requests} per model, where routing moves them)
     */
    public record BeforeAfter(long requests, BigDecimal before, BigDecimal after, long requestsAfter) {

        public BeforeAfter(long requests, BigDecimal before, BigDecimal after) {
            this(requests, before, after, requests);
        }

        public BigDecimal saving() {
            return before.subtract(after);
        }
    }

    public BigDecimal saving() {
        return before.subtract(after);
    }
}
