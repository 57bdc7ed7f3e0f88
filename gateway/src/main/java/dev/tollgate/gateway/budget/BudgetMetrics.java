package dev.tollgate.gateway.budget;

import dev.tollgate.core.budget.BudgetAccount;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.math.BigDecimal;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Each budget's state as Prometheus gauges: {@code tollgate_budget_limit_usd}, {@code tollgate_budget_spent_usd} (in
 * the current period) and {@code tollgate_budget_reserved_usd} (held by calls in flight). Budgets come and go at run
 * time, so new ones are registered whenever the metrics are read; a deleted one reads as NaN, which Prometheus shows
 * as a gap rather than a stale value.
 */
public final class BudgetMetrics {

    private final BudgetBook book;
    private final Clock clock;
    private final MeterRegistry registry;
    private final Set<String> registered = ConcurrentHashMap.newKeySet();

    public BudgetMetrics(BudgetBook book, Clock clock, MeterRegistry registry) {
        this.book = book;
        this.clock = clock;
        this.registry = registry;
    }

    /** Registers the gauges of budgets created since the last call. */
    public void refresh() {
        for (BudgetBook.Entry entry : book.entries()) {
            String name = entry.budget().name();
            if (!registered.add(name)) continue;
            Tags tags = Tags.of("budget", name, "scope", entry.budget().scope().toString(),
                    "period", entry.budget().period().name().toLowerCase());
            gauge("tollgate.budget.limit.usd", "The budget's limit per period", tags, name, e -> e.budget().limitUsd());
            gauge("tollgate.budget.spent.usd", "What the budget's scope has spent in its current period", tags, name,
                    e -> state(e).spent());
            gauge("tollgate.budget.reserved.usd", "The worst case held by calls in flight", tags, name,
                    e -> state(e).reserved());
        }
    }

    private BudgetAccount.State state(BudgetBook.Entry entry) {
        entry.window(clock.instant()); // a budget nobody used since its period ended reads as the new period's
        return entry.state(); // with shared counters: as Redis last reported them to this replica
    }

    private void gauge(String metric, String description, Tags tags, String name, Function<BudgetBook.Entry, BigDecimal> value) {
        Gauge.builder(metric, book, b -> b.find(name).map(value).map(BigDecimal::doubleValue).orElse(Double.NaN))
                .description(description).tags(tags).register(registry);
    }
}
