package dev.tollgate.planner.gpu;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;

import static org.assertj.core.api.Assertions.assertThat;

class BuildVsBuyTest {

    final ThroughputModel replica = new ThroughputModel(Gpu.named("h100").orElseThrow(), 1,
            ModelShape.named("llama-3-8b").orElseThrow(), Precision.BF16, Efficiency.H100_CALIBRATED);
    final BuildVsBuy setup = new BuildVsBuy(replica, new BigDecimal("2.99"), 64, 0.5, 1000, 250, new BigDecimal("10000"));

    @Test
    void costPerRequestIsGpuTimeAtThePriceOverUtilization() {
        double seconds = replica.prefillSeconds(1000) + 250 * replica.decodeStepSeconds(64, 1125) / 64;
        BigDecimal expected = new BigDecimal("2.99").multiply(BigDecimal.valueOf(seconds / 3600 / 0.5));
        assertThat(setup.costPerRequest(64, 0.5).subtract(expected).abs()).isLessThan(new BigDecimal("1e-12"));
        // half the utilization, twice the cost
        assertThat(setup.costPerRequest(64, 0.25).divide(setup.costPerRequest(64, 0.5), 6, RoundingMode.HALF_EVEN))
                .isEqualByComparingTo("2");
        // bigger batches are cheaper per token
        assertThat(setup.costPerMillionTokens(128, 0.5)).isLessThan(setup.costPerMillionTokens(8, 0.5));
    }

    @Test
    void aMonthHasTheHoursItIsGiven() {
        // 730 hours (365/12 days) by default; 720 in a 30-day month
        assertThat(setup.replicaMonthly()).isEqualByComparingTo("2182.70");
        BuildVsBuy thirty = new BuildVsBuy(replica, new BigDecimal("4.10"), 64, 0.5, 1000, 250, BigDecimal.ZERO, BuildVsBuy.hoursIn(BigDecimal.valueOf(30)));
        assertThat(thirty.replicaMonthly()).isEqualByComparingTo("2952");
        // a replica serves fewer requests in a shorter month: 720/730 of them
        BuildVsBuy average = new BuildVsBuy(replica, new BigDecimal("4.10"), 64, 0.5, 1000, 250, BigDecimal.ZERO);
        assertThat(thirty.requestsPerReplicaMonth().divide(average.requestsPerReplicaMonth(), 9, RoundingMode.HALF_EVEN))
                .isEqualByComparingTo(new BigDecimal("720").divide(new BigDecimal("730"), 9, RoundingMode.HALF_EVEN));
    }

    @Test
    void theCrossoverIsWhereTheApiLineCrossesTheStaircase() {
        BigDecimal api = new BigDecimal("0.003");   // $ per request
        BigDecimal v = setup.crossoverRequestsPerMonth(api);
        assertThat(v).isNotNull();
        // one replica: (10,000 + 2.99 * 730) / 0.003 = 4,060,966.67 requests, if one replica can serve that many
        BigDecimal oneReplica = new BigDecimal("10000").add(new BigDecimal("2.99").multiply(new BigDecimal("730")))
                .divide(api, 2, RoundingMode.HALF_EVEN);
        assertThat(setup.requestsPerReplicaMonth()).isGreaterThan(oneReplica);
        assertThat(v.setScale(2, RoundingMode.HALF_EVEN)).isEqualByComparingTo(oneReplica);
        // just below it the API is cheaper, just above self-hosting is
        BigDecimal below = v.multiply(new BigDecimal("0.99"));
        BigDecimal above = v.multiply(new BigDecimal("1.01"));
        assertThat(setup.selfHostedMonthly(below)).isGreaterThan(below.multiply(api));
        assertThat(setup.selfHostedMonthly(above)).isLessThan(above.multiply(api));
    }

    @Test
    void aLargeFixedCostMovesTheCrossoverSeveralReplicasOutAsABruteForceScanFinds() {
        BuildVsBuy heavy = new BuildVsBuy(replica, new BigDecimal("2.99"), 64, 0.5, 1000, 250, new BigDecimal("150000"));
        BigDecimal api = new BigDecimal("0.0006");
        BigDecimal v = heavy.crossoverRequestsPerMonth(api);
        BigDecimal capacity = heavy.requestsPerReplicaMonth();
        assertThat(heavy.replicasFor(v)).isGreaterThan(1);
        // walk the volume up in steps of a thousandth of a replica: the first volume where self-hosting is cheaper
        BigDecimal step = capacity.divide(BigDecimal.valueOf(1000), 6, RoundingMode.HALF_EVEN);
        BigDecimal found = null;
        for (BigDecimal x = step; found == null; x = x.add(step)) {
            if (heavy.selfHostedMonthly(x).compareTo(x.multiply(api)) < 0) found = x;
        }
        assertThat(found.subtract(v).abs()).isLessThanOrEqualTo(step);
    }

    @Test
    void noCrossoverWhenTheApiIsCheaperThanAFullReplica() {
        assertThat(setup.crossoverRequestsPerMonth(new BigDecimal("0.0000001"))).isNull();
    }
}
