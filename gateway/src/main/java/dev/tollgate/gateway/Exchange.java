package dev.tollgate.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.auth.Principal;
import dev.tollgate.gateway.route.Route;
import dev.tollgate.gateway.route.RouteGroup;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;

/**
 * One request on its way through the gateway: what the client sent, what the stages decided, and what came back.
 * Confined to the event loop that received the request, so it needs no locking.
 */
public final class Exchange {

    private final String requestId;
    private final Api api;
    private final Instant arrivedAt;
    private final long arrivedNanos;
    private final MultiMap requestHeaders;
    private final Buffer rawBody;
    private final ObjectNode body;
    private final String requestedModel;
    private final boolean stream;
    private final boolean streamUsageRequested;

    private ClientConnection connection = ClientConnection.NONE;
    private Principal principal = Principal.ANONYMOUS;
    private Map<String, String> tags = Map.of();
    private Route route;
    private RouteGroup routes;
    private int attempt;
    private String attemptReason;
    private Verdict verdict;
    private dev.tollgate.gateway.tier.Tiers.Choice tier;
    private boolean bodyChanged;

    private Usage usage;
    private boolean estimated;
    private String servedModel;
    private String serviceTier;
    private BigDecimal cost;
    private String priceVersion;
    private boolean unpriced;
    private Route downgradedFrom;
    private BigDecimal savedByRouting = BigDecimal.ZERO;
    private int status;
    private String error;
    private long firstByteNanos = -1;
    private boolean clientGone;

    public Exchange(String requestId, Api api, Instant arrivedAt, long arrivedNanos, MultiMap requestHeaders,
                    Buffer rawBody, ObjectNode body) {
        this.requestId = requestId;
        this.api = api;
        this.arrivedAt = arrivedAt;
        this.arrivedNanos = arrivedNanos;
        this.requestHeaders = requestHeaders;
        this.rawBody = rawBody;
        this.body = body;
        this.requestedModel = body.path("model").isTextual() ? body.get("model").asText() : null;
        this.stream = body.path("stream").asBoolean(false);
        this.streamUsageRequested = body.path("stream_options").path("include_usage").asBoolean(false);
    }

    public String requestId() { return requestId; }
    public Api api() { return api; }
    public WireFormat format() { return api.format(); }
    public Instant arrivedAt() { return arrivedAt; }
    public long arrivedNanos() { return arrivedNanos; }
    public MultiMap requestHeaders() { return requestHeaders; }
    public String requestedModel() { return requestedModel; }
    public boolean stream() { return stream; }

    /** Whether an OpenAI client asked for the usage chunk at the end of its stream. */
    public boolean streamUsageRequested() { return streamUsageRequested; }

    /** The client's JSON body. Stages that change it must call {@link #markBodyChanged()}. */
    public ObjectNode body() { return body; }

    /** The body to send on: the client's own bytes when nothing changed them, else the re-serialized JSON. */
    public Buffer outgoingBody() {
        return bodyChanged ? Json.buffer(body) : rawBody;
    }

    public void markBodyChanged() { bodyChanged = true; }

    public ClientConnection connection() { return connection; }
    public void connection(ClientConnection connection) { this.connection = connection; }

    /**
     * Judges an attempt's outcome before metering records it: returns the reason the attempt is tried again on another
     * tier ({@code escalated}), or null when it stands. Set by a cascade while it tries a tier.
     */
    @FunctionalInterface
    public interface Verdict {
        String judge(GatewayError failure);
    }

    public Principal principal() { return principal; }
    /** Replaces the request's tags (routing adds {@code tier}). */
    public void tags(Map<String, String> tags) { this.tags = tags; }
    public Map<String, String> tags() { return tags; }
    public void authenticate(Principal principal, Map<String, String> tags) {
        this.principal = principal;
        this.tags = tags;
    }

    /** The deployment this request (or its current attempt) goes to. */
    public Route route() { return route; }
    public void route(Route route) { this.route = route; }

    /** The route group when the model asked for has several deployments; null for a single model (most). */
    public RouteGroup routes() { return routes; }
    public void routes(RouteGroup routes) { this.routes = routes; }

    /** The current attempt at a route group (1, 2…); 0 for a single model, which makes one. */
    public int attempt() { return attempt; }
    public void attempt(int attempt) { this.attempt = attempt; }

    /** Why this attempt was followed by another (a cascade's {@code escalated}); null when it ended the request. */
    public String attemptReason() { return attemptReason; }
    public void attemptReason(String reason) { this.attemptReason = reason; }

    public Verdict verdict() { return verdict; }
    public void verdict(Verdict verdict) { this.verdict = verdict; }

    /** The tier chosen for a request to a tiered model (see {@code tiers:}); null for other models. */
    public dev.tollgate.gateway.tier.Tiers.Choice tier() { return tier; }
    public void tier(dev.tollgate.gateway.tier.Tiers.Choice tier) { this.tier = tier; }

    /** Forgets the last attempt's outcome, so a cascade's next attempt is metered on its own. */
    public void resetOutcome() {
        usage = null;
        servedModel = null;
        serviceTier = null;
        estimated = false;
        cost = null;
        priceVersion = null;
        unpriced = false;
        downgradedFrom = null;
        savedByRouting = BigDecimal.ZERO;
        status = 0;
        error = null;
        firstByteNanos = -1;
        attemptReason = null;
    }

    public Usage usage() { return usage; }
    public boolean estimated() { return estimated; }
    public String servedModel() { return servedModel; }
    public void usage(Usage usage, String servedModel, boolean estimated) {
        this.usage = usage;
        this.servedModel = servedModel;
        this.estimated = estimated;
    }

    /**
     * The OpenAI service tier the call is billed at: the one its answer says served it, else the one the request asked
     * for; null (or "default") for the standard tier. Set by the OpenAI passthrough before it reports usage.
     */
    public String serviceTier() { return serviceTier; }
    public void serviceTier(String serviceTier) { this.serviceTier = serviceTier; }

    /** The {@code service_tier} the client's body asks for (OpenAI's flex, priority, auto, default), or null. */
    public String requestedServiceTier() {
        JsonNode tier = body == null ? null : body.get("service_tier");
        return tier != null && tier.isTextual() ? tier.asText() : null;
    }

    public BigDecimal cost() { return cost; }
    public String priceVersion() { return priceVersion; }
    public void priced(BigDecimal cost, String priceVersion) {
        this.cost = cost;
        this.priceVersion = priceVersion;
    }

    /** Whether the call used tokens that no price covers (metered at 0, marked in the ledger). */
    public boolean unpriced() { return unpriced; }
    public void unpriced(boolean unpriced) { this.unpriced = unpriced; }

    /** The route the client asked for when a budget sent the request to a cheaper one; null otherwise. */
    public Route downgradedFrom() { return downgradedFrom; }
    public void downgradedFrom(Route route) { this.downgradedFrom = route; }

    /** What serving a cheaper route saved against the one asked for (zero unless downgraded and priced). */
    public BigDecimal savedByRouting() { return savedByRouting; }
    public void savedByRouting(BigDecimal saved) { this.savedByRouting = saved; }

    public int status() { return status; }
    public void status(int status) { this.status = status; }
    public String error() { return error; }
    public void error(String error) { this.error = error; }

    /** Whether the client hung up before its reply was complete. */
    public boolean clientGone() { return clientGone; }
    public void clientGone(boolean gone) { this.clientGone = gone; }

    public long firstByteNanos() { return firstByteNanos; }
    public void firstByte(long nanos) {
        if (firstByteNanos < 0) firstByteNanos = nanos;
    }
}
