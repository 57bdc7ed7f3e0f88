package dev.tollgate.gateway.route;

import dev.tollgate.gateway.route.RouteConfig.Strategy;

import java.math.BigDecimal;

/**
 * Where a request to a route goes, in which order: a pure function of the strategy, the deployments' weights, health,
 * recent latency and price, and one random draw. No I/O and no clock, so every decision can be tested as it is.
 * Healthy deployments come first, in the strategy's order; those whose circuit is open follow in configured order
 * (their breaker decides whether a probe may go, so a route whose every deployment is out still probes).
 */
public final class RoutePlanner {

    private RoutePlanner() {
    }

    /**
     * @param strategy  the route's strategy
     * @param weights   each deployment's weight (weighted)
     * @param healthy   whether each deployment's circuit lets calls through
     * @param latencyNanos each deployment's moving latency to first content; 0 when it has none yet (tried first)
     * @param prices    each deployment's price per token, input and output added (cheapest); null when unpriced (last)
     * @param draw      a uniform random number in [0, 1) (weighted)
     * @return the deployments' indexes in the order to try them
     */
    public static int[] order(Strategy strategy, int[] weights, boolean[] healthy, long[] latencyNanos,
                              BigDecimal[] prices, double draw) {
        int n = healthy.length;
        int[] order = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) if (healthy[i]) order[k++] = i;
        int healthyCount = k;
        for (int i = 0; i < n; i++) if (!healthy[i]) order[k++] = i;
        switch (strategy) {
            case ORDERED -> { }
            case WEIGHTED -> weightedFirst(order, healthyCount, weights, draw);
            case LATENCY -> insertionSort(order, healthyCount, (a, b) -> Long.compare(latencyNanos[a], latencyNanos[b]));
            case CHEAPEST -> insertionSort(order, healthyCount, (a, b) -> comparePrices(prices[a], prices[b]));
        }
        return order;
    }

    /** Moves one healthy deployment, drawn by weight, to the front; the others keep their configured order behind it. */
    private static void weightedFirst(int[] order, int healthyCount, int[] weights, double draw) {
        long total = 0;
        for (int i = 0; i < healthyCount; i++) total += weights[order[i]];
        if (total == 0) return;
        double point = draw * total;
        int chosen = healthyCount - 1;
        for (int i = 0; i < healthyCount; i++) {
            point -= weights[order[i]];
            if (point < 0) {
                chosen = i;
                break;
            }
        }
        int picked = order[chosen];
        System.arraycopy(order, 0, order, 1, chosen);
        order[0] = picked;
    }

    private static int comparePrices(BigDecimal a, BigDecimal b) {
        if (a == null) return b == null ? 0 : 1;
        if (b == null) return -1;
        return a.compareTo(b);
    }

    private interface IntComparator {
        int compare(int a, int b);
    }

    /** Stable, allocation-free, and the fastest sort for the handful of deployments a route has. */
    private static void insertionSort(int[] order, int length, IntComparator c) {
        for (int i = 1; i < length; i++) {
            int v = order[i];
            int j = i - 1;
            while (j >= 0 && c.compare(order[j], v) > 0) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = v;
        }
    }
}
