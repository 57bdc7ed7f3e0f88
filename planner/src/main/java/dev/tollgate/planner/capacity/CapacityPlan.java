package dev.tollgate.planner.capacity;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * The recommended purchase: which workload types run on spot, how many GPUs to reserve for the rest, and what is
 * left on demand, with the savings curve over every commitment level.
 *
 * @param spotCostPerUsefulHour per workload type, spot price with its interruption overhead priced in
 * @param onSpot          workload types moved to spot (cheaper than a reserved GPU even with their overhead)
 * @param curve           savings against all on-demand, for each commitment from 0 to the peak
 * @param reservedGpus    the commitment with the largest saving
 * @param onDemandShare   share of the reserved-or-on-demand pool's GPU-hours still bought on demand
 * @param hours           hours of the history (from its first to its last hour): every cost is over them
 * @param breakEven       reserved ÷ on-demand price: the share of hours a reserved GPU must be busy to pay off
 * @param conservativeGpus the rule of thumb: 70% of the lowest day's mean use over the last 90 days of the history,
 *                        in whole GPUs, never above {@code reservedGpus}
 * @param lowestDay       that lowest day's mean use of the pool, in GPUs
 */
public record CapacityPlan(BigDecimal allOnDemand, Map<WorkloadType, BigDecimal> gpuHoursByType,
                           Map<WorkloadType, BigDecimal> spotCostPerUsefulHour, List<WorkloadType> onSpot,
                           BigDecimal spotCost, List<Level> curve, int reservedGpus, BigDecimal onDemandShare,
                           BigDecimal planned, long hours, BigDecimal breakEven, int conservativeGpus,
                           BigDecimal lowestDay) {

    /**
     * One commitment level: its cost for the pool (reserved plus on-demand overflow), the saving it brings, the
     * pool's GPU-hours left on demand, and the share of hours its last reserved GPU is busy (1 for level 0).
     */
    public record Level(int reservedGpus, BigDecimal poolCost, BigDecimal saving, BigDecimal onDemandGpuHours,
                        BigDecimal lastGpuBusy) {
    }

    public BigDecimal saving() {
        return allOnDemand.subtract(planned);
    }

    /** The whole plan's cost (spot included) with {@code gpus} reserved. */
    public BigDecimal plannedWith(int gpus) {
        return curve.get(gpus).poolCost().add(spotCost);
    }

    /** Share of hours the reserved GPUs {@code from..to} (1-based, inclusive) are busy, on average. */
    public BigDecimal busy(int from, int to) {
        if (from > to) return BigDecimal.ZERO;
        BigDecimal sum = BigDecimal.ZERO;
        for (int k = from; k <= to; k++) sum = sum.add(curve.get(k).lastGpuBusy());
        return sum.divide(BigDecimal.valueOf(to - from + 1), 12, java.math.RoundingMode.HALF_EVEN);
    }
}
