package dev.tollgate.core.anomaly;

import java.util.Arrays;

/** Median and median absolute deviation: a baseline that one odd hour in the history cannot drag. */
final class Robust {

    /** MAD × this estimates the standard deviation of normally distributed data. */
    static final double MAD_TO_SIGMA = 1.4826;

    private Robust() {
    }

    static double median(double[] values, int n) {
        if (n == 0) return 0;
        double[] sorted = Arrays.copyOf(values, n);
        Arrays.sort(sorted);
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static double mad(double[] values, int n, double median) {
        double[] deviations = new double[n];
        for (int i = 0; i < n; i++) deviations[i] = Math.abs(values[i] - median);
        return median(deviations, n);
    }
}
