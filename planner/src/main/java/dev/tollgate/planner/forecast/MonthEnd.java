package dev.tollgate.planner.forecast;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.List;

/**
 * A scope's month-end forecast: spent so far this month plus the expected rest, its 95% interval, and the day a
 * budget runs out at the current pace.
 *
 * @param exhaustedOn the day cumulative spend reaches the budget: a past day when the month's spend already crossed
 *                    it ({@link #crossed()}), a forecast one otherwise; null without a budget or when it lasts the month
 */
public record MonthEnd(String scope, YearMonth month, BigDecimal spentToDate, BigDecimal expected, BigDecimal low,
                       BigDecimal high, BigDecimal budget, LocalDate exhaustedOn, Forecaster model) {

    /** Whether the month's spend so far has already reached the budget. */
    public boolean crossed() {
        return budget != null && spentToDate.compareTo(budget) >= 0;
    }

    /**
     * The forecast for the month of {@code today}. {@code history} holds complete days before today;
     * {@code spentToday} is today's spend so far and {@code dayElapsed} the share of today that has passed.
     */
    public static MonthEnd of(String scope, List<DailySpend> history, LocalDate today, BigDecimal spentToday,
                              double dayElapsed, BigDecimal budget) {
        Forecaster f = Forecaster.fit(history);
        YearMonth month = YearMonth.from(today);
        BigDecimal spent = spentToday;
        for (DailySpend d : history) if (YearMonth.from(d.day()).equals(month)) spent = spent.add(d.usd());
        double restOfToday = Math.max(0, f.expected(today) * (1 - dayElapsed));
        LocalDate last = month.atEndOfMonth();
        double rest = restOfToday + f.expectedTotal(today.plusDays(1), last);
        double half = f.intervalHalfWidth(today, last, 1 - dayElapsed);
        BigDecimal expected = spent.add(Forecaster.money(rest));
        BigDecimal low = spent.add(Forecaster.money(rest - half));
        BigDecimal high = spent.add(Forecaster.money(rest + half));
        LocalDate exhausted = null;
        if (budget != null) {
            if (spent.compareTo(budget) >= 0) {
                // already over: the day the month's actual spend crossed it
                exhausted = today;
                BigDecimal cumulative = BigDecimal.ZERO;
                for (DailySpend d : history) {
                    if (!YearMonth.from(d.day()).equals(month)) continue;
                    cumulative = cumulative.add(d.usd());
                    if (cumulative.compareTo(budget) >= 0) {
                        exhausted = d.day();
                        break;
                    }
                }
            } else {
                // a millionth of a cent of slack: sums of doubles must not miss a budget they reach exactly
                double limit = budget.doubleValue() - 1e-8;
                double cumulative = spent.doubleValue() + restOfToday;
                if (cumulative >= limit) exhausted = today;
                for (LocalDate d = today.plusDays(1); exhausted == null && !d.isAfter(last); d = d.plusDays(1)) {
                    cumulative += f.expected(d);
                    if (cumulative >= limit) exhausted = d;
                }
            }
        }
        return new MonthEnd(scope, month, spent, expected, low, high, budget, exhausted, f);
    }
}
