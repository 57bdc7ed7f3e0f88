package dev.tollgate.gateway.route;

import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.shadow.Shadow;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A route with several deployments, as the gateway runs it: its settings and its live deployments. */
public final class RouteGroup {

    private final RouteConfig config;
    private final List<Deployment> deployments;
    private final Deployment[] array;
    private final int[] weights;
    private final List<Route> priced;
    private Shadow shadow;

    RouteGroup(RouteConfig config, List<Deployment> deployments) {
        this.config = config;
        this.deployments = List.copyOf(deployments);
        this.array = deployments.toArray(Deployment[]::new);
        this.weights = deployments.stream().mapToInt(Deployment::weight).toArray();
        Map<String, Route> byPrice = new LinkedHashMap<>();
        for (Deployment d : deployments) byPrice.putIfAbsent(d.target().free() + " " + d.target().pricedAs(), d.target());
        this.priced = List.copyOf(byPrice.values());
    }

    public String name() { return config.name(); }

    public RouteConfig config() { return config; }

    public List<Deployment> deployments() { return deployments; }

    /**
     * The first deployment's target of each price among the deployments, in their order: what a call to the route may
     * be charged at. Budgets price every request over these, and one model on two providers is priced once.
     */
    public List<Route> priced() { return priced; }

    /** The route's shadow traffic ({@code shadow:}), or null when it has none. */
    public Shadow shadow() { return shadow; }

    /** Set once by the {@link Router}, before the gateway serves: the candidate may be a route defined after this one. */
    void shadow(Shadow shadow) { this.shadow = shadow; }

    /** The deployments in the order this request should try them (see {@link RoutePlanner}). */
    public Deployment[] plan(PriceCatalog catalog, Instant at, double draw) {
        int n = array.length;
        boolean[] healthy = new boolean[n];
        long[] latency = config.strategy() == RouteConfig.Strategy.LATENCY ? new long[n] : null;
        BigDecimal[] prices = config.strategy() == RouteConfig.Strategy.CHEAPEST ? new BigDecimal[n] : null;
        for (int i = 0; i < n; i++) {
            healthy[i] = array[i].healthy();
            if (latency != null) latency[i] = array[i].latencyNanos();
            if (prices != null) prices[i] = unitPrice(catalog, array[i].target().pricedAs(), at);
        }
        int[] order = RoutePlanner.order(config.strategy(), weights, healthy, latency, prices, draw);
        Deployment[] out = new Deployment[n];
        for (int i = 0; i < n; i++) out[i] = array[order[i]];
        return out;
    }

    /** Input and output rates added: what "cheapest" compares. */
    private static BigDecimal unitPrice(PriceCatalog catalog, String model, Instant at) {
        Optional<ModelPrice> price = catalog.priceAt(model, at);
        return price.map(p -> p.rates().input().add(p.rates().output())).orElse(null);
    }
}
