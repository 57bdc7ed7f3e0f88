package dev.tollgate.planner.forecast;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Checks the forecaster on generated histories whose trend and weekly pattern are known: fit on the first part,
 * forecast the month that follows, and compare with what the generator produced.
 */
public final class Backtest {

    /** Error of one back-tested month: forecast and actual totals, and whether the actual fell inside the 95% interval. */
    public record Run(double forecast, double actual, boolean covered) {
        public double absolutePercentError() {
            return Math.abs(forecast - actual) / actual;
        }
    }

    /** The runs and their mean absolute percentage error and interval coverage. */
    public record Result(List<Run> runs) {
        public double meanAbsolutePercentError() {
            return runs.stream().mapToDouble(Run::absolutePercentError).average().orElse(0);
        }

        public double worstAbsolutePercentError() {
            return runs.stream().mapToDouble(Run::absolutePercentError).max().orElse(0);
        }

        public double coverage() {
            return runs.stream().filter(Run::covered).count() / (double) runs.size();
        }
    }

    /**
     * A generated history: {@code base} dollars a day growing by {@code trendPerDay}, weekends at
     * {@code weekendFactor} of a weekday, times noise with standard deviation {@code noise} (a fraction).
     */
    public static List<DailySpend> generate(LocalDate start, int days, double base, double trendPerDay,
                                            double weekendFactor, double noise, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<DailySpend> out = new ArrayList<>(days);
        for (int i = 0; i < days; i++) {
            LocalDate d = start.plusDays(i);
            boolean weekend = d.getDayOfWeek() == DayOfWeek.SATURDAY || d.getDayOfWeek() == DayOfWeek.SUNDAY;
            double mean = (base + trendPerDay * i) * (weekend ? weekendFactor : 1);
            double v = Math.max(0, mean * (1 + noise * gaussian(random)));
            out.add(new DailySpend(d, BigDecimal.valueOf(v).setScale(6, RoundingMode.HALF_EVEN)));
        }
        return out;
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller: SplittableRandom has no nextGaussian of its own on every JDK this builds for
        double u = 1 - r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /**
     * {@code histories} generated histories of {@code trainDays + 30} days with randomly drawn base, trend, weekend
     * factor and seed; each fitted on {@code trainDays} and scored on the 30-day total that follows.
     */
    public static Result run(int histories, int trainDays, double noise, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Run> runs = new ArrayList<>();
        for (int h = 0; h < histories; h++) {
            double base = 50 + r.nextDouble() * 950;
            double trend = base * (r.nextDouble() * 0.02 - 0.005);   // -0.5% .. +1.5% of base per day
            double weekend = 0.3 + r.nextDouble() * 0.7;
            LocalDate start = LocalDate.of(2026, 1, 1).plusDays(r.nextInt(365));
            List<DailySpend> all = generate(start, trainDays + 30, base, trend, weekend, noise, r.nextLong());
            Forecaster f = Forecaster.fit(all.subList(0, trainDays));
            LocalDate from = all.get(trainDays).day();
            LocalDate to = all.getLast().day();
            double forecast = f.expectedTotal(from, to);
            double actual = all.subList(trainDays, all.size()).stream().mapToDouble(d -> d.usd().doubleValue()).sum();
            double half = f.intervalHalfWidth(from, to, 1);
            runs.add(new Run(forecast, actual, Math.abs(actual - forecast) <= half));
        }
        return new Result(runs);
    }
}
