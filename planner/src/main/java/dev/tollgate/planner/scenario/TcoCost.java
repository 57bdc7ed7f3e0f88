package dev.tollgate.planner.scenario;

import java.math.BigDecimal;

/**
 * The total cost of ownership of a scenario on one model, per month (the first month) and per year (model usage
 * growing with the workloads, the other categories flat).
 *
 * @param perOutcome      monthly total over the month's outcomes; null without an outcome
 * @param humanPerOutcome the same outcome done by people; null without an outcome
 */
public record TcoCost(String model, BigDecimal modelUsage, BigDecimal compute, BigDecimal infrastructure,
                      BigDecimal people, BigDecimal securityComplianceMonitoring, BigDecimal modelUsageYearly,
                      BigDecimal outcomesPerMonth, BigDecimal perOutcome, BigDecimal humanPerOutcome) {

    public BigDecimal monthly() {
        return modelUsage.add(compute).add(infrastructure).add(people).add(securityComplianceMonitoring);
    }

    public BigDecimal yearly() {
        BigDecimal fixed = compute.add(infrastructure).add(people).add(securityComplianceMonitoring);
        return modelUsageYearly.add(fixed.multiply(BigDecimal.valueOf(12)));
    }
}
