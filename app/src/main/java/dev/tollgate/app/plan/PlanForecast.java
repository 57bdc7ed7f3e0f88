package dev.tollgate.app.plan;

import dev.tollgate.app.GatewayOptions;
import dev.tollgate.app.LedgerSource;
import dev.tollgate.planner.forecast.Backtest;
import dev.tollgate.planner.forecast.DailySpend;
import dev.tollgate.planner.forecast.MonthEnd;
import dev.tollgate.planner.report.Money;
import dev.tollgate.planner.report.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code tollgate plan forecast}: month-end spend per scope and the day each budget runs out. */
@Command(name = "forecast", mixinStandardHelpOptions = true,
        description = "Month-end spend per scope from the ledger (trend + weekly pattern, 95%% interval), and the day each budget runs out at the current pace.")
public final class PlanForecast extends PlanStep {

    @Option(names = "--data", defaultValue = "data", description = "Data directory holding ledger.duckdb (default: ${DEFAULT-VALUE}).")
    Path dataDir;
    @Option(names = "--by", description = "Forecast per value of this tag (team, project, customer, …); default: the whole ledger.")
    String by;
    @Option(names = "--budget", paramLabel = "SCOPE=USD", description = "A monthly budget: SCOPE=USD (the scope is a value of --by, or 'all' for the total of every scope). Repeatable.")
    Map<String, BigDecimal> budgets = new LinkedHashMap<>();
    @Option(names = "--as-of", description = "Forecast as of this time (default: now).")
    String asOf;
    @Option(names = "--history-days", defaultValue = "56", description = "Days of history to fit (default: ${DEFAULT-VALUE}).")
    int historyDays;
    @Mixin
    GatewayOptions.WithGatewayAlias gateway = new GatewayOptions.WithGatewayAlias();
    @Mixin
    LedgerSource ledger = new LedgerSource();
    @Option(names = "--backtest", description = "Instead: back-test the forecaster on generated histories and report its error.")
    boolean backtest;
    @Mixin
    OutputOptions out;

    @Override
    String name() {
        return "forecast";
    }

    @Override
    int run() throws Exception {
        if (backtest) return backtest();
        Instant now = asOf == null ? Instant.now() : Inputs.instant(asOf);
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        DailySpendSource.Result data = DailySpendSource.load(ledger, dataDir, ScopeForecasts.historyStart(now, historyDays), now, by, gateway.url(), gateway.adminToken());

        Table.Builder t = Table.builder("Month-end forecast for " + java.time.YearMonth.from(today) + " (as of " + now + ")",
                by == null ? "scope" : by, "spent so far", "month-end forecast", "95% interval", "trend $/day/day", "budget", "runs out");
        PlanCharts.Lines lines = new PlanCharts.Lines();
        for (ScopeForecasts.Forecast f : ScopeForecasts.of(data.days(), budgets, now)) {
            BigDecimal budget = f.budget();
            MonthEnd m = f.monthEnd();
            String scope = by != null && f.scope().equals(ScopeForecasts.TOTAL) ? "all (every " + by + ")" : f.scope();
            if (m == null) {
                // no earlier day to fit: this month's spend is today's, so a budget it reaches was crossed today
                boolean crossed = budget != null && f.spentToday().compareTo(budget) >= 0;
                t.row(scope, Money.usdFineCell(f.spentToday()), "-", "-", "-", budget == null ? "" : Money.usdCell(budget),
                        crossed ? "crossed " + today + " (too little history to forecast)" : "too little history");
                continue;
            }
            BigDecimal trend = m.model().trendUsdPerDay();
            t.row(scope, Money.usdFineCell(m.spentToDate()), Money.usdFineCell(m.expected()),
                    new Table.Cell(Money.usdFine(m.low()) + " - " + Money.usdFine(m.high()), new Table.Range(m.low(), m.high())),
                    new Table.Cell(signed(trend), trend), budget == null ? "" : Money.usdCell(budget),
                    budget == null ? "" : m.exhaustedOn() == null ? "not this month" : m.crossed() ? "crossed " + m.exhaustedOn() : m.exhaustedOn().toString());
            for (DailySpend d : f.history()) lines.add(f.scope(), d.day().toEpochDay() - today.toEpochDay(), d.usd().doubleValue());
            for (LocalDate d = today; !d.isAfter(m.month().atEndOfMonth()); d = d.plusDays(1)) {
                lines.add(f.scope() + " (forecast)", d.toEpochDay() - today.toEpochDay(), m.model().expected(d));
            }
        }
        if (budgets.containsKey(ScopeForecasts.TOTAL) && by != null) t.note("'all' is the total of every " + by + ", untagged spend included.");
        t.note("Data: " + data.source() + ", " + historyDays + " days back. Model: linear trend + weekday pattern, least squares; "
                + "the interval adds the fit's own uncertainty to the daily noise.");
        out.print(List.of(t.build()));
        out.chart("forecast", "Daily spend and forecast", "days from today", "USD per day", lines.series());
        return 0;
    }

    /** A signed rate: "+0.07", or three significant digits when under a cent ("-0.00412"). */
    static String signed(BigDecimal v) {
        BigDecimal abs = v.abs();
        String digits = abs.signum() == 0 ? "0.00" : abs.compareTo(new BigDecimal("0.01")) >= 0 ? abs.setScale(2, RoundingMode.HALF_EVEN).toPlainString()
                : abs.round(new java.math.MathContext(3, RoundingMode.HALF_EVEN)).stripTrailingZeros().toPlainString();
        return (v.signum() < 0 ? "-" : "+") + digits;
    }

    /** A share as "12.3%", and as a plain number in JSON and CSV. */
    private static Table.Cell share(double fraction) {
        return Money.percentCell(new BigDecimal(fraction, new java.math.MathContext(12, RoundingMode.HALF_EVEN)));
    }

    private int backtest() {
        Table.Builder t = Table.builder("Back-test on generated histories (30-day totals, 200 histories each)",
                "daily noise", "history", "mean abs. error", "worst error", "95% interval covered");
        for (double noise : new double[] {0.05, 0.10, 0.20}) {
            for (int train : new int[] {28, 56}) {
                Backtest.Result r = Backtest.run(200, train, noise, 7);
                t.row(share(noise), new Table.Cell(train + " days", train), share(r.meanAbsolutePercentError()),
                        share(r.worstAbsolutePercentError()), share(r.coverage()));
            }
        }
        t.note("Each history: base $50-$1000/day, trend -0.5%..+1.5% of base per day, weekends at 30-100% of weekdays, Gaussian noise; seed 7.");
        out.print(List.of(t.build()));
        return 0;
    }
}
