package dev.tollgate.app.eval;

import java.util.List;

/** The statistics a report needs: the Wilson score interval of a pass rate, and percentiles by nearest rank. */
final class Stats {

    /** z for a two-sided 95% interval. */
    static final double Z95 = 1.959963984540054;

    private Stats() {
    }

    /** The 95% Wilson score interval of {@code passed} out of {@code n}: {low, high}; {0, 1} when n is 0. */
    static double[] wilson(int passed, int n) {
        if (n == 0) return new double[]{0, 1};
        double p = passed / (double) n;
        double z2 = Z95 * Z95;
        double denominator = 1 + z2 / n;
        double center = (p + z2 / (2.0 * n)) / denominator;
        double half = Z95 / denominator * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return new double[]{Math.max(0, center - half), Math.min(1, center + half)};
    }

    /** The {@code q} quantile (0..1) of sorted values by nearest rank; NaN when there are none. */
    static double percentile(List<Double> sorted, double q) {
        if (sorted.isEmpty()) return Double.NaN;
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
