package dev.tollgate.gateway;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.auth.KeyStore;
import dev.tollgate.gateway.cache.CacheStore;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.route.Router;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.ObservedLedger;

import java.util.function.Supplier;

/**
 * What every event loop of the gateway shares: thread-safe, built once at start-up. {@code ledger} is the ledger
 * stream: subscribe to it to see every metered row as it is appended. {@code cache} holds the stored answers, the calls
 * in flight and the idempotency window.
 */
public record GatewayServices(GatewayConfig config, KeyStore keys, Router router, Supplier<PriceCatalog> catalog,
                              ObservedLedger ledger, CacheStore cache) {

    public GatewayServices(GatewayConfig config, KeyStore keys, Router router, Supplier<PriceCatalog> catalog,
                           ObservedLedger ledger) {
        this(config, keys, router, catalog, ledger, new CacheStore(config.cache()));
    }

    public static GatewayServices of(GatewayConfig config, PriceCatalog catalog, Ledger ledger) {
        PriceCatalog withConfig = catalog.with(config.prices());
        return new GatewayServices(config, new KeyStore(config.keys()), new Router(config), () -> withConfig,
                ObservedLedger.of(ledger), new CacheStore(config.cache()));
    }
}
