package dev.tollgate.planner.capacity;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CapacityPlannerTest {

    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    // on demand $4, reserved $2.5, spot $2.2 per GPU-hour
    final CapacityPlanner planner = new CapacityPlanner(new BigDecimal("4"), new BigDecimal("2.5"), new BigDecimal("2.2"), SpotRisk.DEFAULT);

    static List<UsageHour> hours(WorkloadType type, int... gpus) {
        List<UsageHour> out = new ArrayList<>();
        for (int i = 0; i < gpus.length; i++) out.add(new UsageHour(T0.plusSeconds(3600L * i), BigDecimal.valueOf(gpus[i]), type));
        return out;
    }

    @Test
    void theCommitmentWithTheLargestSavingByHand() {
        // serving 1, 2, 3, 4 GPUs in four hours, reserved GPUs paid every hour:
        // c=0: 10 GPU-h * 4 = 40   c=1: 4*2.5 + 6*4 = 34   c=2: 20 + 3*4 = 32   c=3: 30 + 1*4 = 34   c=4: 40
        CapacityPlan plan = planner.plan(hours(WorkloadType.REALTIME, 1, 2, 3, 4));
        // real-time on spot: 2.2 * 1.5 (headroom) + 4 * 0.05 * 0.25 (on-demand fallback) = 3.35 > 2.5 reserved
        assertThat(plan.spotCostPerUsefulHour().get(WorkloadType.REALTIME)).isEqualByComparingTo("3.35");
        assertThat(plan.onSpot()).isEmpty();
        assertThat(plan.curve()).extracting(CapacityPlan.Level::poolCost).usingElementComparator(BigDecimal::compareTo)
                .containsExactly(new BigDecimal("40"), new BigDecimal("34"), new BigDecimal("32"), new BigDecimal("34"), new BigDecimal("40"));
        assertThat(plan.reservedGpus()).isEqualTo(2);
        assertThat(plan.saving()).isEqualByComparingTo("8");
        assertThat(plan.onDemandShare()).isEqualByComparingTo("0.3"); // 3 of 10 GPU-hours above the commitment
    }

    @Test
    void theMarginOfTheCheapestCommitmentAndAConservativeOne() {
        // three whole days, 4, 2 and 10 GPUs every hour; break-even 2.5 / 4 = 62.5% of hours
        int[] gpus = new int[72];
        for (int h = 0; h < 72; h++) gpus[h] = h < 24 ? 4 : h < 48 ? 2 : 10;
        CapacityPlan plan = planner.plan(hours(WorkloadType.REALTIME, gpus));
        assertThat(plan.breakEven()).isEqualByComparingTo("0.625");
        // GPUs 1-2 busy every hour, 3-4 two days of three, 5-10 one day of three
        assertThat(plan.curve().get(2).lastGpuBusy()).isEqualByComparingTo("1");
        assertThat(plan.curve().get(4).lastGpuBusy().doubleValue()).isCloseTo(2.0 / 3, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(plan.curve().get(5).lastGpuBusy().doubleValue()).isCloseTo(1.0 / 3, org.assertj.core.data.Offset.offset(1e-9));
        // so the cheapest reserves 4 (2/3 > 62.5%), and the rule of thumb 70% of the lowest day's 2 GPUs: 1
        assertThat(plan.reservedGpus()).isEqualTo(4);
        assertThat(plan.lowestDay()).isEqualByComparingTo("2");
        assertThat(plan.conservativeGpus()).isEqualTo(1);
        assertThat(plan.busy(2, 4).doubleValue()).isCloseTo((1 + 2.0 / 3 + 2.0 / 3) / 3, org.assertj.core.data.Offset.offset(1e-9));
        // 1 reserved: 72 h * 2.5 + (3*24 + 1*24 + 9*24) GPU-h * 4 = 180 + 1248
        assertThat(plan.plannedWith(1)).isEqualByComparingTo("1428");
        assertThat(plan.hours()).isEqualTo(72);
    }

    @Test
    void checkpointedTrainingMovesToSpotAndServingKeepsTheReservation() {
        List<UsageHour> usage = new ArrayList<>(hours(WorkloadType.REALTIME, 2, 2, 2, 2));
        usage.addAll(hours(WorkloadType.TRAINING, 8, 8, 0, 8));
        CapacityPlan plan = planner.plan(usage);
        // training: 0.05 interruptions/h * (1h checkpoint / 2 + 0.25h restart) = 3.75% extra: 2.2 * 1.0375 = 2.2825 < 2.5
        assertThat(plan.spotCostPerUsefulHour().get(WorkloadType.TRAINING)).isEqualByComparingTo("2.2825");
        assertThat(plan.onSpot()).containsExactly(WorkloadType.TRAINING);
        assertThat(plan.spotCost()).isEqualByComparingTo("54.78"); // 24 GPU-h * 2.2825
        assertThat(plan.reservedGpus()).isEqualTo(2);               // the flat 2-GPU serving fleet: 8 h * 2.5 = 20
        assertThat(plan.allOnDemand()).isEqualByComparingTo("128"); // 32 GPU-h * 4
        assertThat(plan.planned()).isEqualByComparingTo("74.78");
        assertThat(plan.onDemandShare()).isEqualByComparingTo("0");
    }

    @Test
    void theOptimumMatchesABruteForceSearchOnAnIrregularHistory() {
        int[] gpus = {0, 3, 7, 7, 2, 9, 4, 4, 4, 11, 1, 6};
        CapacityPlan plan = planner.plan(hours(WorkloadType.REALTIME, gpus));
        int best = -1;
        double bestCost = Double.MAX_VALUE;
        for (int c = 0; c <= 11; c++) {
            double cost = c * 12 * 2.5;
            for (int g : gpus) cost += Math.max(0, g - c) * 4.0;
            if (cost < bestCost - 1e-9) {
                bestCost = cost;
                best = c;
            }
        }
        assertThat(plan.reservedGpus()).isEqualTo(best);
        assertThat(plan.planned().doubleValue()).isEqualTo(bestCost);
    }
}
