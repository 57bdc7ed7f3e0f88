package dev.tollgate.gateway.route;

import dev.tollgate.gateway.config.GatewayConfig;

/**
 * Where a client's model name goes: a provider and the model name the provider is asked for.
 *
 * @param name     the model name clients use
 * @param provider the configured provider
 * @param model    the upstream model
 * @param pricedAs the catalog model the call is priced as
 * @param free     the config says its calls cost nothing (no price needed)
 */
public record Route(String name, GatewayConfig.Provider provider, String model, String pricedAs, boolean free) {
    public Route(String name, GatewayConfig.Provider provider, String model, String pricedAs) {
        this(name, provider, model, pricedAs, false);
    }
}
