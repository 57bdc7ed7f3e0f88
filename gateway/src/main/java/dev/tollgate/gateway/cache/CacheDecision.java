package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;

import java.time.Duration;

/**
 * What the cache does with one request, from the configuration, the policy of its scope, the request's own headers
 * and whether the request can repeat at all.
 *
 * @param lookup    serve a stored answer if there is one
 * @param store     store this answer when it completes successfully
 * @param coalesce  share an identical request's answer while it is still running
 * @param ttl       how long a stored answer is served again
 * @param namespace whose entries it reads and writes: the virtual key's name, or a shared namespace
 * @param reason    why it bypasses the cache, or null when it does not
 * @param similarity the near-duplicate threshold, or 0 when near duplicates are not looked for
 */
public record CacheDecision(boolean lookup, boolean store, boolean coalesce, Duration ttl, String namespace,
                            String reason, double similarity) {

    public static final String TTL_HEADER = "x-tollgate-cache-ttl";
    private static final AsciiString TTL_NAME = AsciiString.cached(TTL_HEADER);

    /** The cache is off for this request by configuration: the gateway says nothing about it. */
    public static final CacheDecision OFF = new CacheDecision(false, false, false, Duration.ZERO, null, "disabled", 0);

    public boolean bypass() {
        return !lookup && !coalesce;
    }

    public static CacheDecision of(CacheConfig config, Exchange exchange) {
        if (!config.enabled()) return OFF;
        CacheConfig.Policy policy = policyFor(config, exchange);
        boolean enabled = policy == null || policy.enabled() == null || policy.enabled();
        if (!enabled) return OFF;
        Duration ttl = policy != null && policy.ttl() != null ? policy.ttl() : config.ttl();
        String shared = policy != null && policy.sharedNamespace() != null ? policy.sharedNamespace() : config.sharedNamespace();
        String namespace = shared != null ? "shared:" + shared : "key:" + exchange.principal().keyName();

        String unrepeatable = unrepeatable(config, exchange.api(), exchange.body());
        if (unrepeatable != null) return new CacheDecision(false, false, false, ttl, namespace, unrepeatable, 0);

        MultiMap headers = exchange.requestHeaders();
        String cacheControl = headers.get(HttpHeaderNames.CACHE_CONTROL);
        boolean noStore = directive(cacheControl, "no-store");
        boolean noCache = directive(cacheControl, "no-cache");
        String ttlHeader = headers.get(TTL_NAME);
        if (ttlHeader != null) {
            try {
                ttl = Duration.ofSeconds(Math.max(0, Long.parseLong(ttlHeader.trim())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(TTL_HEADER + " must be a whole number of seconds, not '" + ttlHeader + "'");
            }
        }
        boolean store = !noStore && !ttl.isZero();
        if (noStore || noCache) {
            return new CacheDecision(false, store, false, ttl, namespace, noStore ? "no-store" : "no-cache", 0);
        }
        double similarity = !config.nearDuplicate().enabled() ? 0
                : policy != null && policy.similarityThreshold() != null ? policy.similarityThreshold()
                : config.nearDuplicate().threshold();
        return new CacheDecision(true, store, config.coalesce(), ttl, namespace, null, similarity);
    }

    /** The first policy whose every named scope matches. */
    static CacheConfig.Policy policyFor(CacheConfig config, Exchange exchange) {
        for (CacheConfig.Policy p : config.policies()) {
            if (p.model() != null && !p.model().equals(exchange.route().name())) continue;
            if (p.key() != null && !p.key().equals(exchange.principal().keyName())) continue;
            if (p.tagName() != null && !p.tagValue().equals(exchange.tags().get(p.tagName()))) continue;
            return p;
        }
        return null;
    }

    /**
     * Why a request cannot be answered twice the same way, or null when it can: several choices ({@code n},
     * {@code best_of}), an answer that depends on state stored at the provider (Responses' {@code
     * previous_response_id}, {@code conversation}, {@code background}), or sampling without a seed when the
     * operator said such requests are not to be stored.
     */
    static String unrepeatable(CacheConfig config, Api api, ObjectNode body) {
        if (api == Api.ANTHROPIC_COUNT_TOKENS) return "not cached";
        if (body.path("n").asInt(1) > 1) return "n > 1";
        if (body.path("best_of").asInt(1) > 1) return "best_of > 1";
        if (api == Api.OPENAI_RESPONSES && (has(body, "previous_response_id") || has(body, "conversation")
                || body.path("background").asBoolean(false))) {
            return "depends on stored state";
        }
        if (!config.cacheUnseededSampling() && api != Api.OPENAI_EMBEDDINGS && !has(body, "seed")) {
            JsonNode t = body.get("temperature");
            if (t == null || t.isNull() || t.decimalValue().signum() > 0) return "sampling without a seed";
        }
        return null;
    }

    private static boolean has(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v != null && !v.isNull();
    }

    private static boolean directive(String cacheControl, String name) {
        if (cacheControl == null) return false;
        for (String part : cacheControl.split(",")) {
            if (part.trim().equalsIgnoreCase(name)) return true;
        }
        return false;
    }
}
