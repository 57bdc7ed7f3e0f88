package dev.tollgate.app.plan;

import dev.tollgate.planner.forecast.DailySpend;
import dev.tollgate.planner.forecast.MonthEnd;
import dev.tollgate.store.duckdb.LedgerScan;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Month-end forecasts of every scope from its daily spend: the one computation behind {@code plan forecast} and
 * {@code GET /admin/plan/forecast}, so that both give the same numbers.
 */
final class ScopeForecasts {

    private ScopeForecasts() {
    }

    /**
     * One scope's forecast.
     *
     * @param history   complete days before today, from the scope's first day with spend
     * @param monthEnd  the forecast; null when the scope has no complete day of history
     */
    record Forecast(String scope, List<DailySpend> history, BigDecimal spentToday, BigDecimal budget, MonthEnd monthEnd) {
    }

    /** The scope name of the whole ledger; as a budget beside other scopes, the total of all of them. */
    static final String TOTAL = "all";

    /**
     * The forecast of each scope in {@code days} and in {@code budgets} (scope → monthly USD), as of {@code now}, in
     * scope order. A budget for {@value #TOTAL} where the days are split by scope (a tag) is the total of every
     * scope: its forecast comes last, over the summed days.
     */
    static List<Forecast> of(List<LedgerScan.DaySpend> days, Map<String, BigDecimal> budgets, Instant now) {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        boolean total = budgets.containsKey(TOTAL) && days.stream().anyMatch(d -> !d.scope().equals(TOTAL));
        Map<String, TreeMap<LocalDate, BigDecimal>> byScope = new TreeMap<>();
        TreeMap<LocalDate, BigDecimal> all = new TreeMap<>();
        for (LedgerScan.DaySpend d : days) {
            byScope.computeIfAbsent(d.scope(), k -> new TreeMap<>()).merge(d.day(), d.costUsd(), BigDecimal::add);
            all.merge(d.day(), d.costUsd(), BigDecimal::add);
        }
        for (String scope : budgets.keySet()) if (!(total && scope.equals(TOTAL))) byScope.computeIfAbsent(scope, k -> new TreeMap<>());
        double dayElapsed = (now.getEpochSecond() - today.atStartOfDay(ZoneOffset.UTC).toEpochSecond()) / 86400.0;
        List<Forecast> out = new ArrayList<>();
        for (var e : byScope.entrySet()) out.add(forecast(e.getKey(), e.getValue(), budgets.get(e.getKey()), today, dayElapsed));
        if (total) out.add(forecast(TOTAL, all, budgets.get(TOTAL), today, dayElapsed));
        return out;
    }

    private static Forecast forecast(String scope, TreeMap<LocalDate, BigDecimal> spend, BigDecimal budget, LocalDate today, double dayElapsed) {
        List<DailySpend> history = new ArrayList<>();
        LocalDate first = spend.isEmpty() ? today : spend.firstKey();
        for (LocalDate d = first; d.isBefore(today); d = d.plusDays(1)) history.add(new DailySpend(d, spend.getOrDefault(d, BigDecimal.ZERO)));
        BigDecimal spentToday = spend.getOrDefault(today, BigDecimal.ZERO);
        MonthEnd m = history.isEmpty() ? null : MonthEnd.of(scope, history, today, spentToday, dayElapsed, budget);
        return new Forecast(scope, List.copyOf(history), spentToday, budget, m);
    }

    /** The first instant of history a forecast as of {@code now} reads: {@code historyDays} whole UTC days back. */
    static Instant historyStart(Instant now, int historyDays) {
        return LocalDate.ofInstant(now, ZoneOffset.UTC).minusDays(historyDays).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}
