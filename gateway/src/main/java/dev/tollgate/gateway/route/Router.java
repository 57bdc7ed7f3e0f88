package dev.tollgate.gateway.route;

import dev.tollgate.core.budget.Budget;
import dev.tollgate.gateway.config.ConfigLoader.ConfigException;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.shadow.Shadow;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves the model a client asks for to a {@link Route}: a configured model is one deployment; a configured route
 * ({@code routes:}) is a {@link RouteGroup} of several, whose first deployment stands for it until the provider stage
 * picks per attempt.
 */
public final class Router {

    private final Map<String, Route> routes;
    private final Map<String, RouteGroup> groups;
    private final List<String> names;
    private final dev.tollgate.gateway.tier.Tiers tiers;

    public Router(GatewayConfig config) {
        this(config, Clock.systemUTC());
    }

    /** {@code clock}: what the deployments' circuit breakers measure their open time by (tests move it). */
    public Router(GatewayConfig config, Clock clock) {
        Map<String, Route> map = new LinkedHashMap<>();
        for (GatewayConfig.Model m : config.models()) {
            GatewayConfig.Provider provider = config.providers().get(m.provider());
            if (provider == null) {
                throw new ConfigException("model '" + m.name() + "' names provider '" + m.provider()
                        + "', which is not among the providers: " + config.providers().keySet());
            }
            if (map.put(m.name(), new Route(m.name(), provider, m.model(), m.pricedAs(), m.free())) != null) {
                throw new ConfigException("model '" + m.name() + "' is configured twice");
            }
        }
        Map<String, RouteGroup> groupMap = new LinkedHashMap<>();
        for (RouteConfig r : config.routes()) {
            if (map.containsKey(r.name())) {
                throw new ConfigException("route '" + r.name() + "' has the name of a model (or another route): a client's model names one of them");
            }
            CircuitBreakerConfig breaker = breakerConfig(r.breaker(), clock);
            List<Deployment> deployments = new ArrayList<>();
            for (RouteConfig.DeploymentConfig d : r.deployments()) {
                GatewayConfig.Provider provider = config.providers().get(d.provider());
                if (provider == null) {
                    throw new ConfigException("routes." + r.name() + " names provider '" + d.provider()
                            + "', which is not among the providers: " + config.providers().keySet());
                }
                Route target = new Route(r.name(), provider, d.model(), d.pricedAs(), d.free());
                deployments.add(new Deployment(target, d.id(), d.weight(), CircuitBreaker.of(r.name() + ":" + d.id(), breaker),
                        clock, r.breaker().open()));
            }
            RouteGroup group = new RouteGroup(r, deployments);
            groupMap.put(r.name(), group);
            map.put(r.name(), deployments.getFirst().target());
        }
        for (RouteConfig r : config.routes()) {
            if (r.shadow() != null) groupMap.get(r.name()).shadow(shadow(r, map, groupMap, config));
        }
        this.routes = Map.copyOf(map);
        this.groups = Map.copyOf(groupMap);
        this.names = List.copyOf(map.keySet());
        this.tiers = dev.tollgate.gateway.tier.Tiers.of(config.tiers(), routes::get, groups::get);
    }

    /** A route's shadow traffic, its candidate resolved and its budget checked to cover it. */
    private static Shadow shadow(RouteConfig r, Map<String, Route> models,
                                                           Map<String, RouteGroup> groups, GatewayConfig config) {
        RouteConfig.ShadowConfig s = r.shadow();
        String at = "routes." + r.name() + ".shadow";
        Route candidate = models.get(s.model());
        if (candidate == null) {
            throw new ConfigException(at + ".model '" + s.model() + "' is not among the models or routes: " + models.keySet());
        }
        if (s.budget() != null) {
            Map<String, String> tags = Map.of(Shadow.TAG, r.name());
            Budget budget = config.controls().budgets().stream()
                    .filter(b -> b.name().equals(s.budget())).findFirst()
                    .orElseThrow(() -> new ConfigException(at + ".budget '" + s.budget() + "' is not among spend_controls.budgets"));
            if (budget.scope().isOrg() || !budget.scope().matches(Shadow.KEY, tags)) {
                throw new ConfigException(at + ".budget '" + s.budget() + "' has scope " + budget.scope()
                        + ", which does not hold shadow calls apart: scope it key:shadow or shadow:" + r.name());
            }
        }
        return new Shadow(r.name(), s, candidate, groups.get(s.model()));
    }

    /** The tiered models ({@code tiers:}); a tiered name is looked up before models and routes. */
    public dev.tollgate.gateway.tier.Tiers tiers() {
        return tiers;
    }

    private static CircuitBreakerConfig breakerConfig(RouteConfig.BreakerConfig b, Clock clock) {
        return CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.window())
                .minimumNumberOfCalls(Math.min(b.minCalls(), b.window()))
                .failureRateThreshold(b.failureRate())
                .waitDurationInOpenState(b.open())
                .permittedNumberOfCallsInHalfOpenState(b.halfOpenCalls())
                .clock(clock)
                .build();
    }

    public Optional<Route> route(String model) {
        return model == null ? Optional.empty() : Optional.ofNullable(routes.get(model));
    }

    /** The route group of that name, or null when the name is a single model (most are). */
    public RouteGroup group(String model) {
        return groups.isEmpty() || model == null ? null : groups.get(model);
    }

    /** Every route group, in configuration order. */
    public List<RouteGroup> groups() {
        return names.stream().map(groups::get).filter(java.util.Objects::nonNull).toList();
    }

    /** Model names in configuration order (routes after models). */
    public List<String> names() {
        return names;
    }

    public List<Route> all() {
        return names.stream().map(routes::get).toList();
    }
}
