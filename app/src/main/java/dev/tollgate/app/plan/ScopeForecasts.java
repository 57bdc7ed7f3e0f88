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

    /** The forecast of each scope in {@code days} and in {@code budgets} (scope → monthly USD), as of {@code now}, in scope order. */
    static List<Forecast> of(List<LedgerScan.DaySpend> days, Map<String, BigDecimal> budgets, Instant now) {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        Map<String, TreeMap<LocalDate, BigDecimal>> byScope = new TreeMap<>();
        for (LedgerScan.DaySpend d : days) byScope.computeIfAbsent(d.scope(), k -> new TreeMap<>()).merge(d.day(), d.costUsd(), BigDecimal::add);
        for (String scope : budgets.keySet()) byScope.computeIfAbsent(scope, k -> new TreeMap<>());
        double dayElapsed = (now.getEpochSecond() - today.atStartOfDay(ZoneOffset.UTC).toEpochSecond()) / 86400.0;
        List<Forecast> out = new ArrayList<>();
        for (var e : byScope.entrySet()) {
            TreeMap<LocalDate, BigDecimal> spend = e.getValue();
            List<DailySpend> history = new ArrayList<>();
            LocalDate first = spend.isEmpty() ? today : spend.firstKey();
            for (LocalDate d = first; d.isBefore(today); d = d.plusDays(1)) history.add(new DailySpend(d, spend.getOrDefault(d, BigDecimal.ZERO)));
            BigDecimal spentToday = spend.getOrDefault(today, BigDecimal.ZERO);
            BigDecimal budget = budgets.get(e.getKey());
            MonthEnd m = history.isEmpty() ? null : MonthEnd.of(e.getKey(), history, today, spentToday, dayElapsed, budget);
            out.add(new Forecast(e.getKey(), List.copyOf(history), spentToday, budget, m));
        }
        return out;
    }

    /** The first instant of history a forecast as of {@code now} reads: {@code historyDays} whole UTC days back. */
    static Instant historyStart(Instant now, int historyDays) {
        return LocalDate.ofInstant(now, ZoneOffset.UTC).minusDays(historyDays).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}
