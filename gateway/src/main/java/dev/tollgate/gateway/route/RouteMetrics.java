package dev.tollgate.gateway.route;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * Each route deployment's health for Prometheus: {@code tollgate_route_circuit_state} (0 closed, 1 open, 2 half-open),
 * {@code tollgate_route_attempts_total}, {@code tollgate_route_failures_total}, {@code tollgate_route_served_total} and
 * {@code tollgate_route_latency_seconds} (moving latency to first content); for a route with shadow traffic,
 * {@code tollgate_shadow_in_flight} and {@code tollgate_shadow_sent_total}, {@code _shed_total}, {@code _refused_total},
 * {@code _failed_total}.
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
                // NaN until measured (as /admin/routes says null): a 0 would read as an instant deployment
                Gauge.builder("tollgate.route.latency.seconds", d, x -> x.latencyNanos() == 0 ? Double.NaN : x.latencyNanos() / 1e9)
                        .description("Moving latency to first content").tags(tags).register(registry);
                FunctionCounter.builder("tollgate.route.attempts", d, Deployment::attempts)
                        .description("Attempts sent to the deployment").tags(tags).register(registry);
                FunctionCounter.builder("tollgate.route.failures", d, Deployment::failures)
                        .description("Attempts that failed (429, 5xx, no connection, silence, a refused stream)").tags(tags).register(registry);
                FunctionCounter.builder("tollgate.route.served", d, Deployment::served)
                        .description("Attempts that served the answer").tags(tags).register(registry);
            }
            dev.tollgate.gateway.shadow.Shadow s = g.shadow();
            if (s == null) continue;
            Tags tags = Tags.of("route", g.name(), "candidate", s.candidate().name());
            Gauge.builder("tollgate.shadow.in.flight", s, dev.tollgate.gateway.shadow.Shadow::inFlight)
                    .description("Shadow calls to the candidate running now").tags(tags).register(registry);
            FunctionCounter.builder("tollgate.shadow.sent", s, dev.tollgate.gateway.shadow.Shadow::sent)
                    .description("Shadow calls started").tags(tags).register(registry);
            FunctionCounter.builder("tollgate.shadow.shed", s, dev.tollgate.gateway.shadow.Shadow::shed)
                    .description("Sampled requests not shadowed: max_in_flight calls were running").tags(tags).register(registry);
            FunctionCounter.builder("tollgate.shadow.refused", s, dev.tollgate.gateway.shadow.Shadow::refused)
                    .description("Shadow calls a budget or rate limit refused (skipped)").tags(tags).register(registry);
            FunctionCounter.builder("tollgate.shadow.failed", s, dev.tollgate.gateway.shadow.Shadow::failed)
                    .description("Shadow calls the candidate failed").tags(tags).register(registry);
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
