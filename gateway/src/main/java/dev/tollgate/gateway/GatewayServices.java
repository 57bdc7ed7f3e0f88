package dev.tollgate.gateway;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.auth.KeyStore;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.route.Router;
import dev.tollgate.gateway.budget.BudgetService;
import dev.tollgate.store.BudgetStore;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.duckdb.DuckDbLedger;
import java.time.Clock;
import dev.tollgate.store.ObservedLedger;

import java.util.function.Supplier;

/**
 * What every event loop of the gateway shares: thread-safe, built once at start-up. {@code ledger} is the ledger
 * stream: subscribe to it to see every metered row as it is appended.
 */
public record GatewayServices(GatewayConfig config, KeyStore keys, Router router, Supplier<PriceCatalog> catalog,
                              ObservedLedger ledger, BudgetService budgets) {

    /** Builds the services; loads budgets' spend from the ledger, so it blocks: call it before serving. */
    public static GatewayServices of(GatewayConfig config, PriceCatalog catalog, Ledger ledger) {
        PriceCatalog withConfig = catalog.with(config.prices());
        ObservedLedger observed = ObservedLedger.of(ledger);
        BudgetStore store = observed.unwrap() instanceof DuckDbLedger duck ? duck.budgetStore() : BudgetStore.inMemory();
        return new GatewayServices(config, new KeyStore(config.keys()), new Router(config), () -> withConfig,
                observed, BudgetService.start(config, observed, store, Clock.systemUTC()));
    }
}
