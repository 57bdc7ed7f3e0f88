package dev.tollgate.store;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;

/**
 * Cost per outcome for one group: only requests whose outcome is known count (a request's own outcome, else its
 * decision's). An outcome spanning several groups (a decision whose requests used two models) counts in each.
 *
 * @param requests  requests with a known outcome
 * @param costUsd   their cost, successful or not
 * @param outcomes  distinct outcomes (requests or decisions) they belong to
 * @param successes how many of those succeeded
 * @param valueUsd  the value recorded with the successful outcomes
 */
public record OutcomeRow(Map<String, String> group, long requests, BigDecimal costUsd, long outcomes, long successes,
                         BigDecimal valueUsd) {

    /** What one success cost: all the cost, failures included, over the successes; null when nothing succeeded. */
    public BigDecimal costPerSuccessUsd() {
        if (successes == 0) return null;
        BigDecimal v = costUsd.divide(BigDecimal.valueOf(successes), 12, RoundingMode.HALF_EVEN).stripTrailingZeros();
        return v.scale() < 0 ? v.setScale(0) : v;
    }

    /** Successes over outcomes, 0 to 1 (a rate, not money). */
    public double successRate() {
        return outcomes == 0 ? 0 : (double) successes / outcomes;
    }
}
