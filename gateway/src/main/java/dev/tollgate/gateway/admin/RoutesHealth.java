package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.route.Deployment;
import dev.tollgate.gateway.route.RouteGroup;
import dev.tollgate.gateway.route.Router;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;

import java.util.Locale;

/** {@code GET /admin/routes}: each route's strategy and each deployment's health (circuit state, counts, latency). */
final class RoutesHealth {

    private RoutesHealth() {
    }

    static ObjectNode of(Router router) {
        ObjectNode body = Json.object();
        ArrayNode routes = body.putArray("routes");
        for (RouteGroup g : router.groups()) {
            ObjectNode r = routes.addObject();
            r.put("name", g.name());
            r.put("strategy", g.config().strategy().name().toLowerCase(Locale.ROOT));
            ArrayNode deployments = r.putArray("deployments");
            for (Deployment d : g.deployments()) {
                ObjectNode o = deployments.addObject();
                CircuitBreaker.Metrics m = d.breaker().getMetrics();
                o.put("deployment", d.id());
                o.put("provider", d.target().provider().name());
                o.put("model", d.target().model());
                o.put("weight", d.weight());
                o.put("circuit", d.breaker().getState().name().toLowerCase(Locale.ROOT));
                o.put("healthy", d.healthy());
                o.put("failure_rate", m.getFailureRate() < 0 ? null : (Float) m.getFailureRate());
                o.put("attempts", d.attempts());
                o.put("failures", d.failures());
                o.put("served", d.served());
                o.put("latency_ms", d.latencyNanos() == 0 ? null : (Double) (d.latencyNanos() / 1e6));
            }
        }
        return body;
    }
}
