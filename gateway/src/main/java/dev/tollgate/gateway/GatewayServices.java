package dev.tollgate.gateway;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.auth.KeyStore;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.route.Router;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.ObservedLedger;

import java.util.function.Supplier;

/**
 * What every event loop of the gateway shares: thread-safe, built once at start-up. {@code ledger} is the ledger
 * stream: subscribe to it to see every metered row as it is appended.
 */
public record GatewayServices(GatewayConfig config, KeyStore keys, Router router, Supplier<PriceCatalog> catalog,
                              ObservedLedger ledger) {

    public static GatewayServices of(GatewayConfig config, PriceCatalog catalog, Ledger ledger) {
        PriceCatalog withConfig = catalog.with(config.prices());
        return new GatewayServices(config, new KeyStore(config.keys()), new Router(config), () -> withConfig,
                ObservedLedger.of(ledger));
    }
}
