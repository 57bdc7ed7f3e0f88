package dev.tollgate.planner.forecast;

import dev.tollgate.planner.math.Linear;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Daily spend as a linear trend plus a weekly pattern, fitted by least squares:
 * {@code spend(d) = a + b·d + s(weekday of d)}, with one offset per weekday but Monday (Monday is the baseline).
 * With fewer than {@value #MIN_DAYS_FOR_WEEKLY} days of history the weekly pattern is left out, with fewer than
 * three the trend too (the mean is the forecast).
 *
 * <p>The prediction interval of a sum of {@code h} future days is {@code ±z·σ·√h}, σ the residual standard deviation
 * (days taken as independent). Statistics are doubles; the amounts returned are BigDecimals, never negative.
 */
public final class Forecaster {

    public static final int MIN_DAYS_FOR_WEEKLY = 14;
    /** Two-sided 95% normal quantile. */
    public static final double Z95 = 1.959963984540054;
    private static final MathContext MC = new MathContext(12, RoundingMode.HALF_EVEN);

    private final LocalDate origin;
    private final double[] coef;
    private final boolean weekly;
    private final double sigma;
    private final int days;
    /** (X'X)^-1 of the fit, for the uncertainty of the fitted trend and pattern. */
    private final double[][] inverse;

    private Forecaster(LocalDate origin, double[] coef, boolean weekly, double sigma, int days, double[][] inverse) {
        this.inverse = inverse;
        this.origin = origin;
        this.coef = coef;
        this.weekly = weekly;
        this.sigma = sigma;
        this.days = days;
    }

    /** Fits a history of consecutive days (a day with no spend is a zero, not a gap). */
    public static Forecaster fit(List<DailySpend> history) {
        if (history.isEmpty()) throw new IllegalArgumentException("no spend history to forecast from");
        LocalDate origin = history.getFirst().day();
        int n = history.size();
        boolean weekly = n >= MIN_DAYS_FOR_WEEKLY;
        int p = n < 3 ? 1 : weekly ? 8 : 2;
        double[][] ata = new double[p][p];
        double[] aty = new double[p];
        for (DailySpend d : history) {
            double[] x = features(origin, d.day(), p);
            double y = d.usd().doubleValue();
            for (int i = 0; i < p; i++) {
                aty[i] += x[i] * y;
                for (int j = 0; j < p; j++) ata[i][j] += x[i] * x[j];
            }
        }
        double[] coef = Linear.solve(ata, aty);
        double ssr = 0;
        for (DailySpend d : history) {
            double r = d.usd().doubleValue() - dot(coef, features(origin, d.day(), p));
            ssr += r * r;
        }
        double sigma = n > p ? Math.sqrt(ssr / (n - p)) : 0;
        double[][] inverse = new double[p][];
        for (int i = 0; i < p; i++) {
            double[] unit = new double[p];
            unit[i] = 1;
            inverse[i] = Linear.solve(ata, unit);
        }
        return new Forecaster(origin, coef, weekly, sigma, n, inverse);
    }

    private static double[] features(LocalDate origin, LocalDate day, int p) {
        double[] x = new double[p];
        x[0] = 1;
        if (p >= 2) x[1] = ChronoUnit.DAYS.between(origin, day);
        if (p == 8) {
            int dow = day.getDayOfWeek().getValue(); // 1 = Monday
            if (dow > 1) x[dow] = 1;                  // columns 2..7 for Tuesday..Sunday
        }
        return x;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Expected spend of a day (never below zero). */
    public double expected(LocalDate day) {
        return Math.max(0, dot(coef, features(origin, day, coef.length)));
    }

    /** Spend change per day from the trend. */
    public double trendPerDay() {
        return coef.length >= 2 ? coef[1] : 0;
    }

    /** {@link #trendPerDay} in dollars, to a millionth: what the CLI's JSON and the admin API give. */
    public BigDecimal trendUsdPerDay() {
        return new BigDecimal(trendPerDay()).setScale(6, RoundingMode.HALF_EVEN);
    }

    /** The weekly offset of a weekday against Monday; zero without a weekly pattern. */
    public double weekdayOffset(DayOfWeek day) {
        return weekly && day != DayOfWeek.MONDAY ? coef[day.getValue()] : 0;
    }

    public boolean weekly() {
        return weekly;
    }

    public double residualSd() {
        return sigma;
    }

    public int historyDays() {
        return days;
    }

    /** Expected total of the days {@code from..to} inclusive. */
    public double expectedTotal(LocalDate from, LocalDate to) {
        double s = 0;
        for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) s += expected(d);
        return s;
    }

    /**
     * Half-width of the 95% interval of the total of the days {@code from..to}, of which {@code weight} of the first
     * is still to come: the days' own noise ({@code σ²} per day) plus the uncertainty of the fitted line and pattern
     * extrapolated over them ({@code σ²·sᵀ(XᵀX)⁻¹s}, s the summed features).
     */
    public double intervalHalfWidth(LocalDate from, LocalDate to, double firstDayWeight) {
        int p = coef.length;
        double[] s = new double[p];
        double days = 0;
        for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
            double w = d.equals(from) ? firstDayWeight : 1;
            double[] x = features(origin, d, p);
            for (int i = 0; i < p; i++) s[i] += w * x[i];
            days += w;
        }
        double param = 0;
        for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) param += s[i] * inverse[i][j] * s[j];
        return Z95 * sigma * Math.sqrt(Math.max(0, days + param));
    }

    static BigDecimal money(double v) {
        return new BigDecimal(Math.max(0, v), MC).setScale(6, RoundingMode.HALF_EVEN);
    }
}
