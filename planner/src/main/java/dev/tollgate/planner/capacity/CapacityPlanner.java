package dev.tollgate.planner.capacity;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Buys GPU capacity for an hourly usage history at the lowest cost.
 *
 * <ol>
 *   <li>Spot: a workload type moves to spot when its spot price, with interruptions priced in
 *       ({@link SpotRisk}), is below the reserved price, so spot beats even a fully used reservation for it.</li>
 *   <li>Reserved: for the rest, every whole-GPU commitment from 0 to the peak hour is priced (reserved GPUs paid
 *       every hour of the history, usage above them on demand) and the one with the largest saving is chosen.
 *       The curve is reported, not only its top: a flat curve says the choice matters little.</li>
 *   <li>On demand: whatever the pool uses above the commitment.</li>
 * </ol>
 * The cheapest commitment can be thin: its last GPUs may be busy barely more often than the break-even share
 * (reserved ÷ on-demand price). Beside it the plan gives a conservative commitment, the common rule of thumb:
 * 70% of the lowest day's mean use over the last 90 days of the history.
 * An hour absent from the history used nothing, but the reservation is still paid for it: the history spans from
 * its first to its last hour.
 */
public final class CapacityPlanner {

    private static final MathContext MC = new MathContext(12, RoundingMode.HALF_EVEN);
    /** The rule of thumb's share of the lowest day's use, and how far back it looks. */
    static final BigDecimal CONSERVATIVE_SHARE = new BigDecimal("0.7");
    static final int CONSERVATIVE_DAYS = 90;

    private final BigDecimal onDemand;
    private final BigDecimal reserved;
    private final BigDecimal spot;
    private final SpotRisk risk;

    public CapacityPlanner(BigDecimal onDemandHourly, BigDecimal reservedHourly, BigDecimal spotHourly, SpotRisk risk) {
        this.onDemand = onDemandHourly;
        this.reserved = reservedHourly;
        this.spot = spotHourly;
        this.risk = risk;
    }

    public CapacityPlan plan(List<UsageHour> usage) {
        if (usage.isEmpty()) throw new IllegalArgumentException("no usage history");
        Map<WorkloadType, BigDecimal> byType = new EnumMap<>(WorkloadType.class);
        Map<WorkloadType, BigDecimal> spotCost = new EnumMap<>(WorkloadType.class);
        List<WorkloadType> onSpot = new ArrayList<>();
        for (UsageHour u : usage) byType.merge(u.type(), u.gpuHours(), BigDecimal::add);
        for (WorkloadType t : byType.keySet()) {
            BigDecimal perUseful = spot.multiply(BigDecimal.ONE.add(new BigDecimal(risk.overhead(t), MC)))
                    .add(onDemand.multiply(new BigDecimal(risk.onDemandFallback(t), MC)));
            spotCost.put(t, perUseful);
            if (perUseful.compareTo(reserved) < 0) onSpot.add(t);
        }
        BigDecimal spotTotal = BigDecimal.ZERO;
        for (WorkloadType t : onSpot) spotTotal = spotTotal.add(spotCost.get(t).multiply(byType.get(t)));

        // the pool's GPU-hours per clock hour, every hour of the span (absent hours are zero)
        Instant first = usage.stream().map(UsageHour::hour).min(Instant::compareTo).orElseThrow();
        Instant last = usage.stream().map(UsageHour::hour).max(Instant::compareTo).orElseThrow();
        long hours = (last.getEpochSecond() - first.getEpochSecond()) / 3600 + 1;
        TreeMap<Instant, BigDecimal> pool = new TreeMap<>();
        for (UsageHour u : usage) if (!onSpot.contains(u.type())) pool.merge(u.hour(), u.gpuHours(), BigDecimal::add);
        List<BigDecimal> perHour = new ArrayList<>(pool.values());
        BigDecimal poolHours = perHour.stream().reduce(BigDecimal.ZERO, BigDecimal::add);
        BigDecimal total = byType.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add);
        BigDecimal allOnDemand = total.multiply(onDemand);
        BigDecimal poolOnDemand = poolHours.multiply(onDemand);

        int peak = perHour.stream().map(v -> v.setScale(0, RoundingMode.CEILING).intValueExact()).max(Integer::compare).orElse(0);
        List<CapacityPlan.Level> curve = new ArrayList<>();
        int best = 0;
        BigDecimal bestCost = poolOnDemand;
        for (int c = 0; c <= peak; c++) {
            BigDecimal commitment = BigDecimal.valueOf(c);
            BigDecimal overflow = BigDecimal.ZERO;
            // GPU c serves the part of each hour's use between c-1 and c GPUs
            BigDecimal lastBusy = BigDecimal.ZERO;
            for (BigDecimal v : perHour) {
                if (v.compareTo(commitment) > 0) overflow = overflow.add(v.subtract(commitment));
                lastBusy = lastBusy.add(v.subtract(BigDecimal.valueOf(c - 1L)).max(BigDecimal.ZERO).min(BigDecimal.ONE));
            }
            BigDecimal cost = commitment.multiply(BigDecimal.valueOf(hours)).multiply(reserved).add(overflow.multiply(onDemand));
            BigDecimal busy = c == 0 ? BigDecimal.ONE : lastBusy.divide(BigDecimal.valueOf(hours), MC);
            curve.add(new CapacityPlan.Level(c, cost, poolOnDemand.subtract(cost), overflow, busy));
            if (cost.compareTo(bestCost) < 0) {
                bestCost = cost;
                best = c;
            }
        }
        BigDecimal overflowHours = curve.get(best).onDemandGpuHours();
        BigDecimal share = poolHours.signum() == 0 ? BigDecimal.ZERO : overflowHours.divide(poolHours, MC);
        BigDecimal lowestDay = lowestDay(pool, first, last);
        int conservative = Math.min(best, lowestDay.multiply(CONSERVATIVE_SHARE).setScale(0, RoundingMode.FLOOR).intValueExact());
        return new CapacityPlan(allOnDemand, byType, spotCost, onSpot, spotTotal, curve, best, share, bestCost.add(spotTotal),
                hours, reserved.divide(onDemand, MC), conservative, lowestDay);
    }

    /**
     * The lowest mean use of a whole UTC day over the last {@value #CONSERVATIVE_DAYS} days of the history, in GPUs
     * (the day's GPU-hours over 24). A history without a whole day uses its partial days (GPU-hours over the hours
     * of the day it covers).
     */
    static BigDecimal lowestDay(TreeMap<Instant, BigDecimal> pool, Instant first, Instant last) {
        LocalDate lastDay = LocalDate.ofInstant(last, ZoneOffset.UTC);
        LocalDate firstDay = LocalDate.ofInstant(first, ZoneOffset.UTC);
        if (firstDay.isBefore(lastDay.minusDays(CONSERVATIVE_DAYS - 1))) firstDay = lastDay.minusDays(CONSERVATIVE_DAYS - 1);
        BigDecimal lowestWhole = null;
        BigDecimal lowestPartial = null;
        for (LocalDate d = firstDay; !d.isAfter(lastDay); d = d.plusDays(1)) {
            Instant start = d.atStartOfDay(ZoneOffset.UTC).toInstant();
            Instant lastHour = start.plusSeconds(23 * 3600L);
            Instant from = start.isBefore(first) ? first : start;
            Instant to = lastHour.isAfter(last) ? last : lastHour;
            long hoursIn = (to.getEpochSecond() - from.getEpochSecond()) / 3600 + 1;
            BigDecimal used = BigDecimal.ZERO;
            for (BigDecimal v : pool.subMap(from, true, to, true).values()) used = used.add(v);
            BigDecimal mean = used.divide(BigDecimal.valueOf(hoursIn), MC);
            if (hoursIn == 24) {
                if (lowestWhole == null || mean.compareTo(lowestWhole) < 0) lowestWhole = mean;
            } else if (lowestPartial == null || mean.compareTo(lowestPartial) < 0) {
                lowestPartial = mean;
            }
        }
        return lowestWhole != null ? lowestWhole : lowestPartial != null ? lowestPartial : BigDecimal.ZERO;
    }
}
