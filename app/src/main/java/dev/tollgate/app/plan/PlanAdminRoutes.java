package dev.tollgate.app.plan;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.Period;
import dev.tollgate.gateway.admin.AdminCall;
import dev.tollgate.gateway.admin.AdminRoute;
import dev.tollgate.gateway.budget.BudgetBook;
import dev.tollgate.planner.forecast.MonthEnd;
import dev.tollgate.planner.whatif.PipelinedReplay;
import dev.tollgate.planner.whatif.ReplayEngine;
import dev.tollgate.planner.whatif.ReplayPolicy;
import dev.tollgate.planner.whatif.ReplayResult;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.duckdb.LedgerScan;
import io.vertx.core.http.HttpMethod;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The planner's admin routes, which {@code serve} adds to the gateway (the gateway itself knows nothing of the planner):
 * <ul>
 *   <li>{@code GET /admin/plan/forecast?by=TAG&history_days=56&as_of=…}: month-end forecast per scope with its 95%
 *   interval, and for every live monthly budget the forecast of its scope and the day it runs out;</li>
 *   <li>{@code POST /admin/plan/whatif}: {@code plan whatif}'s replay, read through the gateway's own ledger connection.</li>
 * </ul>
 */
public final class PlanAdminRoutes {

    static final String FORECAST = "/admin/plan/forecast";
    static final String WHATIF = "/admin/plan/whatif";
    static final int DEFAULT_HISTORY_DAYS = 56;
    static final int MAX_HISTORY_DAYS = 366;
    private static final Set<String> FORECAST_PARAMS = Set.of("by", "history_days", "as_of");

    private PlanAdminRoutes() {
    }

    public static List<AdminRoute> all() {
        return List.of(new AdminRoute(HttpMethod.GET, FORECAST, PlanAdminRoutes::forecast),
                new AdminRoute(HttpMethod.POST, WHATIF, PlanAdminRoutes::whatIf));
    }

    static ObjectNode forecast(AdminCall call) {
        for (String name : call.params().keySet()) {
            if (!FORECAST_PARAMS.contains(name)) throw new IllegalArgumentException("unknown parameter '" + name + "'; known: as_of, by, history_days");
        }
        String by = call.param("by");
        if (by != null && !by.matches("[A-Za-z0-9_.-]{1,64}")) throw new IllegalArgumentException("by must be a tag name (team, customer, …) or key, not '" + by + "'");
        int historyDays = historyDays(call.param("history_days"));
        Instant now = call.param("as_of") == null ? call.services().budgets().clock().instant() : Inputs.instant(call.param("as_of"));
        Instant from = ScopeForecasts.historyStart(now, historyDays);
        Ledger ledger = call.services().ledger();

        ObjectNode body = WhatIfOptions.JSON.createObjectNode();
        body.put("as_of", now.toString()).put("month", YearMonth.from(LocalDate.ofInstant(now, ZoneOffset.UTC)).toString())
                .put("by", by).put("history_days", historyDays)
                .put("model", "planner: linear trend + weekday pattern, least squares, over UTC days; 95% interval");
        ArrayNode scopes = body.putArray("scopes");
        for (ScopeForecasts.Forecast f : ScopeForecasts.of(daily(ledger, from, now, by, Map.of()), Map.of(), now)) {
            scopes.add(forecastJson(WhatIfOptions.JSON.createObjectNode().put("scope", f.scope()), f));
        }
        ArrayNode budgets = body.putArray("budgets");
        for (BudgetBook.Entry e : call.services().budgets().book().entries()) {
            Budget b = e.budget();
            if (b.period() != Period.MONTHLY) continue; // the forecast is of calendar months
            List<ScopeForecasts.Forecast> f = ScopeForecasts.of(daily(ledger, from, now, null, b.scope().ledgerFilter()), Map.of("all", b.limitUsd()), now);
            budgets.add(forecastJson(WhatIfOptions.JSON.createObjectNode().put("name", b.name()).put("scope", b.scope().toString())
                    .put("limit_usd", b.limitUsd()), f.getFirst()));
        }
        return body;
    }

    /** {@code n} with the forecast's fields added. */
    private static ObjectNode forecastJson(ObjectNode n, ScopeForecasts.Forecast f) {
        MonthEnd m = f.monthEnd();
        if (m == null) {
            n.put("spent_usd", f.spentToday()).putNull("forecast_usd").putNull("low_usd").putNull("high_usd")
                    .put("note", "too little history: no complete day yet");
            return n;
        }
        n.put("spent_usd", m.spentToDate()).put("forecast_usd", m.expected()).put("low_usd", m.low()).put("high_usd", m.high())
                .put("trend_usd_per_day", m.model().trendUsdPerDay()).put("history_days", m.model().historyDays());
        // exhausted_on is in the past when the month's spend already crossed the budget (crossed: true)
        if (f.budget() != null) n.put("exhausted_on", m.exhaustedOn() == null ? null : m.exhaustedOn().toString()).put("crossed", m.crossed());
        return n;
    }

    private static int historyDays(String value) {
        if (value == null) return DEFAULT_HISTORY_DAYS;
        try {
            int days = Integer.parseInt(value.strip());
            if (days >= 1 && days <= MAX_HISTORY_DAYS) return days;
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new IllegalArgumentException("history_days must be a whole number from 1 to " + MAX_HISTORY_DAYS + ", not '" + value + "'");
    }

    /** Spend per UTC day (and value of {@code by}, else "all") of the rows matching {@code filters}, from the ledger's own query. */
    static List<LedgerScan.DaySpend> daily(Ledger ledger, Instant from, Instant to, String by, Map<String, String> filters) {
        List<String> groupBy = by == null ? List.of("day") : List.of("day", by);
        List<LedgerScan.DaySpend> out = new ArrayList<>();
        for (SpendRow row : ledger.spend(new SpendQuery(groupBy, from, to, filters))) {
            String scope = by == null ? "all" : row.group().get(by) == null ? "(none)" : row.group().get(by);
            out.add(new LedgerScan.DaySpend(LocalDate.parse(row.group().get("day")), scope, row.costUsd(), row.requests()));
        }
        return out;
    }

    static ObjectNode whatIf(AdminCall call) throws Exception {
        WhatIfOptions options = WhatIfOptions.fromJson(call.body());
        ReplayPolicy policy = options.policy();
        if (policy.changesNothing()) {
            throw new IllegalArgumentException("give a policy to replay: routes, cache_ttl, max_input_tokens, max_output_tokens or self_host");
        }
        Instant start = options.start();
        Instant end = options.end();
        if (start != null && end != null && !start.isBefore(end)) throw new IllegalArgumentException("from must be before to");
        ReplayEngine engine = new ReplayEngine(call.services().catalog().get(), policy, options.by());
        long began = System.nanoTime();
        // a replay of months can take seconds: stop between batches once the caller has hung up
        ReplayResult result = call.scanLedger(start, end, scan -> PipelinedReplay.run(scan, start, end, engine, seen -> call.stopIfCallerGone()));
        return ReplayJson.write(result, policy, Duration.ofNanos(System.nanoTime() - began));
    }
}
