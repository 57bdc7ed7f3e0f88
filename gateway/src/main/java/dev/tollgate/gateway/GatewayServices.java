package dev.tollgate.gateway;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.admin.AdminRoute;
import dev.tollgate.gateway.auth.KeyStore;
import dev.tollgate.gateway.budget.BudgetMetrics;
import dev.tollgate.gateway.budget.BudgetService;
import dev.tollgate.gateway.cache.CacheStore;
import dev.tollgate.gateway.cache.RedisCacheMetrics;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.observe.Observability;
import dev.tollgate.gateway.route.RouteMetrics;
import dev.tollgate.gateway.route.Router;
import dev.tollgate.gateway.stage.MeteringStage;
import dev.tollgate.store.BudgetStore;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.ObservedLedger;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.postgres.PgControlStore;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/**
 * What every event loop of the gateway shares: thread-safe, built once at start-up. {@code ledger} is the ledger
 * stream: subscribe to it to see every metered row as it is appended. {@code observability} (metrics, traces,
 * prompt log) is closed by whoever started the gateway, after the gateway stops. {@code cache} holds the stored
 * answers, the calls in flight and the idempotency window. {@code adminRoutes} are admin routes added by whoever starts
 * the gateway (the planner's, from {@code serve}), answered after the admin API's own.
 */
public record GatewayServices(GatewayConfig config, KeyStore keys, Router router, Supplier<PriceCatalog> catalog,
                              ObservedLedger ledger, Observability observability, CacheStore cache, BudgetService budgets,
                              List<AdminRoute> adminRoutes) {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(GatewayServices.class);

    /** Builds the services; loads budgets' spend from the ledger, so it blocks: call it before serving. */
    public static GatewayServices of(GatewayConfig config, PriceCatalog catalog, Ledger ledger) {
        return of(config, catalog, ledger, null);
    }

    /** As {@link #of(GatewayConfig, PriceCatalog, Ledger)}, with a span exporter that receives every span too. */
    public static GatewayServices of(GatewayConfig config, PriceCatalog catalog, Ledger ledger, SpanExporter spanExporter) {
        return of(config, catalog, ledger, spanExporter, Clock.systemUTC());
    }

    /**
     * As {@link #of(GatewayConfig, PriceCatalog, Ledger, SpanExporter)}, on {@code clock}: the time requests are stamped
     * with, budget periods are read on and reports default to (tests pass one of their own).
     */
    public static GatewayServices of(GatewayConfig config, PriceCatalog catalog, Ledger ledger, SpanExporter spanExporter,
                                     Clock clock) {
        return of(config, catalog, ledger, spanExporter, clock, null);
    }

    /**
     * As {@link #of(GatewayConfig, PriceCatalog, Ledger, SpanExporter, Clock)}, keeping run-time budgets, keys and alerts
     * in {@code controlStore} (a {@code PgControlStore} on a database the caller opened once for its ledger too), which
     * the budget service closes when it closes; null: the store the config says (see {@link #controlStore}).
     */
    public static GatewayServices of(GatewayConfig config, PriceCatalog catalog, Ledger ledger, SpanExporter spanExporter,
                                     Clock clock, BudgetStore controlStore) {
        PriceCatalog withConfig = catalog.with(config.prices());
        Router router = new Router(config, clock);
        MeteringStage.unpricedWarning(router.all(), withConfig, clock.instant()).ifPresent(log::warn);
        ObservedLedger observed = ObservedLedger.of(ledger);
        BudgetStore store = controlStore != null ? controlStore : controlStore(config, observed);
        Observability observability = Observability.create(config, observed, spanExporter);
        BudgetService budgets;
        KeyStore keys = new KeyStore(config.keys());
        try {
            budgets = BudgetService.start(config, observed, store, clock); // closes the store when it closes
            keys.reload(store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        // another replica's change to budgets or keys reaches this one the way a change through its own admin API does
        store.watch(() -> {
            budgets.reconcile();
            keys.reload(store);
        });
        config.cache().checkFitsHeap(Runtime.getRuntime().maxMemory());
        CacheStore cache = new CacheStore(config.cache(), ticker(clock));
        if (observability.metrics() != null) {
            if (cache.redis() != null) RedisCacheMetrics.bind(cache.redis(), observability.metrics().registry());
            RouteMetrics.bind(router, observability.metrics().registry());
            if (observability.shadows() != null) {
                io.micrometer.core.instrument.FunctionCounter.builder("tollgate.shadow.answers.dropped", observability.shadows(),
                                dev.tollgate.gateway.shadow.ShadowRecorder::dropped)
                        .description("Shadowed answer pairs not kept for eval --shadow: the recorder or the store was behind")
                        .register(observability.metrics().registry());
            }
            router.tiers().bind(observability.metrics().registry());
            BudgetMetrics gauges = new BudgetMetrics(budgets.book(), budgets.clock(), observability.metrics().registry());
            observability.metrics().beforeScrape(gauges::refresh);
        }
        return new GatewayServices(config, keys, router, () -> withConfig,
                observed, observability, cache, budgets, List.of());
    }

    /**
     * Where budgets, keys and alerts changed at run time are kept: PostgreSQL for a group of replicas ({@code ledger:
     * type: postgres}), else the DuckDB ledger's file, else memory (ledgers of tests and benchmarks).
     */
    private static BudgetStore controlStore(GatewayConfig config, ObservedLedger ledger) {
        if (config.ledger().shared()) {
            GatewayConfig.Postgres pg = config.ledger().postgres();
            try {
                return PgControlStore.open(pg.url(), pg.schema(), pg.poolSize(), pg.connectTimeout()); // its own pool, closed with the store
            } catch (RuntimeException e) {
                throw new ConfigLoader.ConfigException("ledger: cannot open PostgreSQL for the control plane (keys, budgets, alerts): "
                        + e.getMessage());
            }
        }
        return ledger.unwrap() instanceof DuckDbLedger duck ? duck.budgetStore() : BudgetStore.inMemory();
    }

    /** The cache's time: the monotonic one, unless the gateway runs on a clock of a test's own. */
    private static Ticker ticker(Clock clock) {
        if (clock.equals(Clock.systemUTC())) return Ticker.systemTicker();
        return () -> {
            Instant now = clock.instant();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        };
    }

    /** The gateway's clock (see {@link #of(GatewayConfig, PriceCatalog, Ledger, SpanExporter, Clock)}). */
    public Clock clock() {
        return budgets.clock();
    }

    /** These services with {@code routes} added to the admin API; call it before the gateway starts. */
    public GatewayServices withAdminRoutes(List<AdminRoute> routes) {
        return new GatewayServices(config, keys, router, catalog, ledger, observability, cache, budgets, List.copyOf(routes));
    }
}
