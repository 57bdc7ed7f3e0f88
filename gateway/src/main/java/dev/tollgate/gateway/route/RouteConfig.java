package dev.tollgate.gateway.route;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.config.ConfigLoader.ConfigException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A route as configured under {@code routes:}: one model name clients ask for, served by several deployments (see the
 * README's "Routes and fallbacks").
 *
 * @param name              what clients send as "model"
 * @param strategy          how the deployments are ordered for each request
 * @param deployments       where the route may go, in configured order
 * @param retries           further attempts on the same deployment after a retryable failure, before falling back
 * @param maxAttempts       attempts in all, across deployments
 * @param timeout           the deadline for all attempts together, from the request's arrival
 * @param firstContent      how long an attempt may go without its first content (a stream's first content event, a
 *                          complete answer's response head) before it counts as refused
 * @param backoff           the wait before the first retry on the same deployment; it doubles, with jitter
 * @param maxBackoff        the longest wait between two attempts (a longer {@code retry-after} means a fallback instead)
 * @param breaker           when a deployment is taken out of the route and how it is probed back
 * @param shadow            the candidate model a sampled share of the route's traffic also goes to, or null
 */
public record RouteConfig(String name, Strategy strategy, List<DeploymentConfig> deployments, int retries,
                          int maxAttempts, Duration timeout, Duration firstContent, Duration backoff, Duration maxBackoff,
                          BreakerConfig breaker, ShadowConfig shadow) {

    public RouteConfig {
        deployments = List.copyOf(deployments);
    }

    /** As the canonical constructor, without shadow traffic. */
    public RouteConfig(String name, Strategy strategy, List<DeploymentConfig> deployments, int retries, int maxAttempts,
                       Duration timeout, Duration firstContent, Duration backoff, Duration maxBackoff, BreakerConfig breaker) {
        this(name, strategy, deployments, retries, maxAttempts, timeout, firstContent, backoff, maxBackoff, breaker, null);
    }

    /**
     * Shadow traffic (issue 13): after the client's answer is complete, a sampled share of the route's requests is
     * sent again to a candidate model in the background, so {@code tollgate eval --shadow} can score it against the
     * answer the client got.
     *
     * @param model       the candidate, a configured model or route name
     * @param sample      the share of requests shadowed (0..1), exact: at 0.5 every other request
     * @param budget      the budget that must cover shadow calls (checked at start-up), or null
     * @param maxInFlight shadow calls of this route at once; more are shed (counted), never queued
     */
    public record ShadowConfig(String model, double sample, String budget, int maxInFlight) {
        public static final double DEFAULT_SAMPLE = 0.1;
        public static final int DEFAULT_MAX_IN_FLIGHT = 16;
    }

    /** How a route orders its deployments for each request. */
    public enum Strategy { ORDERED, WEIGHTED, LATENCY, CHEAPEST }

    /**
     * One deployment of a route.
     *
     * @param provider the configured provider
     * @param model    what the provider is asked for
     * @param priceAs  the catalog model it is priced as (null: {@code model})
     * @param weight   its share under the weighted strategy
     * @param free     its calls cost nothing here (as {@code models[].free}): no price needed where budgets apply
     */
    public record DeploymentConfig(String provider, String model, String priceAs, int weight, boolean free) {
        public String pricedAs() {
            return priceAs == null ? model : priceAs;
        }

        /** How the deployment is named in headers, the admin API and metrics. */
        public String id() {
            return provider + "/" + model;
        }
    }

    /**
     * A deployment's circuit breaker (resilience4j, count-based window).
     *
     * @param failureRate   percentage of failed calls in the window that opens the circuit
     * @param window        calls in the sliding window
     * @param minCalls      calls needed before the rate is judged
     * @param open          how long the circuit stays open before it lets probes through
     * @param halfOpenCalls probes let through; their failure rate decides between closed and open again
     */
    public record BreakerConfig(float failureRate, int window, int minCalls, Duration open, int halfOpenCalls) {
        public static final BreakerConfig DEFAULTS = new BreakerConfig(50, 20, 10, Duration.ofSeconds(30), 2);
    }

    /** Parses {@code routes:}; a mistake is a {@link ConfigException} naming the key. */
    public static List<RouteConfig> parse(JsonNode routes) {
        List<RouteConfig> out = new ArrayList<>();
        if (routes == null || routes.isMissingNode() || routes.isNull()) return out;
        if (!routes.isArray()) throw new ConfigException("routes must be a list");
        for (JsonNode r : routes) {
            String name = text(r, "name");
            if (name == null) throw new ConfigException("every entry of routes needs a name: " + r);
            String at = "routes." + name;
            Strategy strategy;
            try {
                strategy = Strategy.valueOf(r.path("strategy").asText("ordered").toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(at + ".strategy must be ordered, weighted, latency or cheapest, not " + r.get("strategy").asText());
            }
            List<DeploymentConfig> deployments = new ArrayList<>();
            for (JsonNode d : r.path("deployments")) {
                String provider = text(d, "provider");
                if (provider == null) throw new ConfigException(at + ".deployments: every deployment needs a provider: " + d);
                String model = text(d, "model");
                int weight = d.path("weight").asInt(1);
                if (weight < 0) throw new ConfigException(at + ".deployments: weight must be >= 0: " + d);
                JsonNode free = d.path("free");
                if (!free.isMissingNode() && !free.isBoolean()) throw new ConfigException(at + ".deployments: free must be true or false: " + d);
                deployments.add(new DeploymentConfig(provider, model == null ? name : model, text(d, "price_as"), weight, free.asBoolean(false)));
            }
            if (deployments.isEmpty()) throw new ConfigException(at + ".deployments must list at least one deployment");
            if (strategy == Strategy.WEIGHTED && deployments.stream().allMatch(d -> d.weight() == 0)) {
                throw new ConfigException(at + ": a weighted route needs a deployment with a weight above 0");
            }
            int retries = nonNegative(r, "retries", 1, at);
            int maxAttempts = r.has("max_attempts") ? nonNegative(r, "max_attempts", 1, at) : deployments.size() * (1 + retries);
            if (maxAttempts < 1) throw new ConfigException(at + ".max_attempts must be at least 1");
            JsonNode b = r.path("circuit_breaker");
            BreakerConfig d = BreakerConfig.DEFAULTS;
            float rate = (float) b.path("failure_rate").asDouble(d.failureRate());
            if (rate <= 0 || rate > 100) throw new ConfigException(at + ".circuit_breaker.failure_rate must be a percentage above 0");
            BreakerConfig breaker = new BreakerConfig(rate, positive(b, "window", d.window(), at + ".circuit_breaker"),
                    positive(b, "min_calls", d.minCalls(), at + ".circuit_breaker"),
                    millis(b, "open_ms", d.open(), at + ".circuit_breaker"),
                    positive(b, "half_open_calls", d.halfOpenCalls(), at + ".circuit_breaker"));
            out.add(new RouteConfig(name, strategy, deployments, retries, maxAttempts,
                    millis(r, "timeout_ms", Duration.ofMinutes(5), at), millis(r, "first_content_timeout_ms", Duration.ofSeconds(60), at),
                    millis(r, "backoff_ms", Duration.ofMillis(100), at), millis(r, "max_backoff_ms", Duration.ofSeconds(5), at), breaker,
                    shadow(r.path("shadow"), name, at + ".shadow")));
        }
        return out;
    }

    private static ShadowConfig shadow(JsonNode s, String route, String at) {
        if (s.isMissingNode() || s.isNull()) return null;
        String model = text(s, "model");
        if (model == null) throw new ConfigException(at + ".model is required: the candidate model");
        if (model.equals(route)) throw new ConfigException(at + ".model names the route itself; name a candidate model");
        double sample = ShadowConfig.DEFAULT_SAMPLE;
        if (s.has("sample")) {
            try {
                sample = Double.parseDouble(s.get("sample").asText().trim());
            } catch (NumberFormatException e) {
                sample = -1;
            }
            if (!(sample >= 0 && sample <= 1)) throw new ConfigException(at + ".sample must be a share within 0..1, not " + s.get("sample"));
        }
        return new ShadowConfig(model, sample, text(s, "budget"), positive(s, "max_in_flight", ShadowConfig.DEFAULT_MAX_IN_FLIGHT, at));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static int nonNegative(JsonNode n, String field, int fallback, String at) {
        if (!n.has(field)) return fallback;
        if (!n.get(field).canConvertToInt() || n.get(field).asInt() < 0) {
            throw new ConfigException(at + "." + field + " must be a whole number >= 0, not " + n.get(field));
        }
        return n.get(field).asInt();
    }

    private static int positive(JsonNode n, String field, int fallback, String at) {
        int v = nonNegative(n, field, fallback, at);
        if (v < 1) throw new ConfigException(at + "." + field + " must be at least 1");
        return v;
    }

    private static Duration millis(JsonNode n, String field, Duration fallback, String at) {
        return n.has(field) ? Duration.ofMillis(nonNegative(n, field, 0, at)) : fallback;
    }
}
