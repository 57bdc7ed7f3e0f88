package dev.tollgate.gateway.route;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * Each route deployment's health for Prometheus: {@code tollgate_route_circuit_state} (0 closed, 1 open, 2 half-open),
 * {@code tollgate_route_attempts_total}, {@code tollgate_route_failures_total}, {@code tollgate_route_served_total} and
 * {@code tollgate_route_latency_seconds} (moving latency to first content).
 */
public final class RouteMetrics {

    private RouteMetrics() {
    }

    public static void bind(Router router, MeterRegistry registry) {
        for (RouteGroup g : router.groups()) {
            for (Deployment d : g.deployments()) {
                Tags tags = Tags.of("route", g.name(), "deployment", d.id());
                Gauge.builder("tollgate.route.circuit.state", d, RouteMetrics::state)
                        .description("The deployment's circuit: 0 closed, 1 open, 2 half-open").tags(tags).register(registry);
                Gauge.builder("tollgate.route.latency.seconds", d, x -> x.latencyNanos() / 1e9)
                        .description("Moving latency to first content").tags(tags).register(registry);
                FunctionCounter.builder("tollgate.route.attempts", d, Deployment::attempts)
                        .description("Attempts sent to the deployment").tags(tags).register(registry);
                FunctionCounter.builder("tollgate.route.failures", d, Deployment::failures)
                        .description("Attempts that failed (429, 5xx, no connection, silence, a refused stream)").tags(tags).register(registry);
                FunctionCounter.builder("tollgate.route.served", d, Deployment::served)
                        .description("Attempts that served the answer").tags(tags).register(registry);
            }
        }
    }

    private static double state(Deployment d) {
        CircuitBreaker.State s = d.breaker().getState();
        return switch (s) {
            case OPEN, FORCED_OPEN -> 1;
            case HALF_OPEN -> 2;
            default -> 0;
        };
    }
}
