package dev.tollgate.planner.forecast;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ForecasterTest {

    static List<DailySpend> series(LocalDate start, int days, java.util.function.IntToDoubleFunction spend) {
        List<DailySpend> out = new ArrayList<>();
        for (int i = 0; i < days; i++) out.add(new DailySpend(start.plusDays(i), BigDecimal.valueOf(spend.applyAsDouble(i))));
        return out;
    }

    @Test
    void recoversAKnownTrendAndWeekendDip() {
        LocalDate monday = LocalDate.of(2026, 10, 5);
        // $100 a day plus $2 a day of growth; Saturdays and Sundays $30 less
        List<DailySpend> h = series(monday, 28, i -> {
            DayOfWeek d = monday.plusDays(i).getDayOfWeek();
            return 100 + 2 * i - (d == DayOfWeek.SATURDAY || d == DayOfWeek.SUNDAY ? 30 : 0);
        });
        Forecaster f = Forecaster.fit(h);
        assertThat(f.weekly()).isTrue();
        assertThat(f.trendPerDay()).isCloseTo(2, within(1e-9));
        assertThat(f.weekdayOffset(DayOfWeek.SUNDAY)).isCloseTo(-30, within(1e-9));
        assertThat(f.weekdayOffset(DayOfWeek.WEDNESDAY)).isCloseTo(0, within(1e-9));
        assertThat(f.residualSd()).isCloseTo(0, within(1e-9));
        // day 30 is a Wednesday (2026-11-04): 100 + 60
        assertThat(f.expected(LocalDate.of(2026, 11, 4))).isCloseTo(160, within(1e-9));
    }

    @Test
    void monthEndAndTheDayTheBudgetRunsOut() {
        // $10 a day, flat, for October; on November 10 at noon $5 spent today and $90 on the 1st..9th
        LocalDate start = LocalDate.of(2026, 10, 1);
        List<DailySpend> h = series(start, 40, i -> 10);   // Oct 1 .. Nov 9
        MonthEnd m = MonthEnd.of("team:search", h, LocalDate.of(2026, 11, 10), new BigDecimal("5"), 0.5, new BigDecimal("150"));
        // spent: 9 days * 10 + 5 = 95; rest: half of today 5 + 20 days (11th..30th) * 10 = 205; month-end 300
        assertThat(m.spentToDate()).isEqualByComparingTo("95");
        assertThat(m.expected()).isEqualByComparingTo("300");
        assertThat(m.low()).isEqualByComparingTo("300");  // no noise, no interval
        // 95 + 5 (rest of the 10th) = 100; +10 a day reaches 150 on the 15th
        assertThat(m.exhaustedOn()).isEqualTo(LocalDate.of(2026, 11, 15));
        MonthEnd generous = MonthEnd.of("all", h, LocalDate.of(2026, 11, 10), new BigDecimal("5"), 0.5, new BigDecimal("1000"));
        assertThat(generous.exhaustedOn()).isNull();
    }

    @Test
    void aBudgetAlreadySpentSaysWhenItWasCrossed() {
        // $10 a day since October 1; on November 10, $90 spent on the 1st..9th and $5 today
        List<DailySpend> h = series(LocalDate.of(2026, 10, 1), 40, i -> 10);
        // a $70 budget: $10, $20, ... reaches 70 at the end of November 7
        MonthEnd m = MonthEnd.of("team:growth", h, LocalDate.of(2026, 11, 10), new BigDecimal("5"), 0.5, new BigDecimal("70"));
        assertThat(m.crossed()).isTrue();
        assertThat(m.exhaustedOn()).isEqualTo(LocalDate.of(2026, 11, 7));
        // $92: not reached by yesterday's $90, crossed by today's spend
        MonthEnd today = MonthEnd.of("team:growth", h, LocalDate.of(2026, 11, 10), new BigDecimal("5"), 0.5, new BigDecimal("92"));
        assertThat(today.crossed()).isTrue();
        assertThat(today.exhaustedOn()).isEqualTo(LocalDate.of(2026, 11, 10));
        // $150 is not crossed yet: the 15th is a forecast
        assertThat(MonthEnd.of("team:growth", h, LocalDate.of(2026, 11, 10), new BigDecimal("5"), 0.5, new BigDecimal("150")).crossed()).isFalse();
    }

    @Test
    void backTestOnGeneratedHistoriesStaysWithinItsBound() {
        // 200 histories, 8 weeks of training, 10% daily noise, trend and weekend dip drawn at random
        Backtest.Result r = Backtest.run(200, 56, 0.10, 42);
        assertThat(r.meanAbsolutePercentError()).isLessThan(0.04);
        assertThat(r.coverage()).isGreaterThan(0.85);
    }
}
