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
 */
public record CapacityPlan(BigDecimal allOnDemand, Map<WorkloadType, BigDecimal> gpuHoursByType,
                           Map<WorkloadType, BigDecimal> spotCostPerUsefulHour, List<WorkloadType> onSpot,
                           BigDecimal spotCost, List<Level> curve, int reservedGpus, BigDecimal onDemandShare,
                           BigDecimal planned) {

    /** One commitment level: its cost for the pool (reserved plus on-demand overflow) and the saving it brings. */
    public record Level(int reservedGpus, BigDecimal poolCost, BigDecimal saving) {
    }

    public BigDecimal saving() {
        return allOnDemand.subtract(planned);
    }
}
