package dev.tollgate.planner.scenario;

import java.math.BigDecimal;

/**
 * What one workload costs on one model, in exact dollars.
 *
 * @param inputMonthly  the month's input cost (uncached, cache reads and cache writes)
 * @param outputMonthly the month's output cost
 * @param p90PerConversation a conversation whose messages, context and answers are all at their 90th percentile
 * @param yearly        twelve months from now, the volume growing by the workload's monthly growth
 */
public record WorkloadCost(String workload, String model, String priceVersion, long callsPerConversation,
                           long inputTokensPerConversation, long cachedTokensPerConversation,
                           long outputTokensPerConversation, BigDecimal perConversation, BigDecimal perCall,
                           BigDecimal p90PerConversation, BigDecimal monthlyCalls, BigDecimal inputMonthly,
                           BigDecimal outputMonthly, BigDecimal yearly) {

    public BigDecimal monthly() {
        return inputMonthly.add(outputMonthly);
    }
}
