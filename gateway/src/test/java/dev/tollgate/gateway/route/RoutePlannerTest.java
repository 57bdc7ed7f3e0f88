package dev.tollgate.gateway.route;

import dev.tollgate.gateway.route.RouteConfig.Strategy;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.assertj.core.api.Assertions.assertThat;

/** The pure decision: strategy, weights, health, latency and price in, the order of deployments out. */
class RoutePlannerTest {

    private static final int[] WEIGHTS = {1, 1, 1};
    private static final boolean[] ALL_HEALTHY = {true, true, true};
    private static final long[] NO_LATENCY = {0, 0, 0};
    private static final BigDecimal[] NO_PRICES = {null, null, null};

    @Test
    void orderedKeepsTheConfiguredOrder() {
        assertThat(RoutePlanner.order(Strategy.ORDERED, WEIGHTS, ALL_HEALTHY, NO_LATENCY, NO_PRICES, 0.9)).containsExactly(0, 1, 2);
    }

    @Test
    void unhealthyDeploymentsGoLastInConfiguredOrder() {
        boolean[] healthy = {false, true, false};
        assertThat(RoutePlanner.order(Strategy.ORDERED, WEIGHTS, healthy, NO_LATENCY, NO_PRICES, 0)).containsExactly(1, 0, 2);
    }

    @Test
    void weightedPutsTheDrawnDeploymentFirstInProportionToItsWeight() {
        int[] weights = {1, 3, 0};
        // total 4: [0, 0.25) → 0, [0.25, 1) → 1; weight 0 is never drawn
        assertThat(RoutePlanner.order(Strategy.WEIGHTED, weights, ALL_HEALTHY, NO_LATENCY, NO_PRICES, 0.1)).containsExactly(0, 1, 2);
        assertThat(RoutePlanner.order(Strategy.WEIGHTED, weights, ALL_HEALTHY, NO_LATENCY, NO_PRICES, 0.3)).containsExactly(1, 0, 2);
        assertThat(RoutePlanner.order(Strategy.WEIGHTED, weights, ALL_HEALTHY, NO_LATENCY, NO_PRICES, 0.999)).containsExactly(1, 0, 2);
    }

    @Test
    void weightedDrawsOnlyAmongHealthyDeployments() {
        int[] weights = {1, 3, 1};
        boolean[] healthy = {true, false, true};
        assertThat(RoutePlanner.order(Strategy.WEIGHTED, weights, healthy, NO_LATENCY, NO_PRICES, 0.6)).containsExactly(2, 0, 1);
    }

    @Test
    void lowestLatencyFirstAndUnmeasuredOnesAreTriedFirst() {
        long[] latency = {300, 0, 100};
        assertThat(RoutePlanner.order(Strategy.LATENCY, WEIGHTS, ALL_HEALTHY, latency, NO_PRICES, 0)).containsExactly(1, 2, 0);
    }

    @Test
    void cheapestHealthyFirstAndUnpricedLast() {
        BigDecimal[] prices = {new BigDecimal("0.000015"), null, new BigDecimal("0.00000075")};
        assertThat(RoutePlanner.order(Strategy.CHEAPEST, WEIGHTS, ALL_HEALTHY, NO_LATENCY, prices, 0)).containsExactly(2, 0, 1);
        boolean[] cheapestDown = {true, true, false};
        assertThat(RoutePlanner.order(Strategy.CHEAPEST, WEIGHTS, cheapestDown, NO_LATENCY, prices, 0)).containsExactly(0, 1, 2);
    }

    @Test
    void tiesKeepTheConfiguredOrder() {
        long[] latency = {5, 5, 5};
        assertThat(RoutePlanner.order(Strategy.LATENCY, WEIGHTS, ALL_HEALTHY, latency, NO_PRICES, 0)).containsExactly(0, 1, 2);
    }
}
