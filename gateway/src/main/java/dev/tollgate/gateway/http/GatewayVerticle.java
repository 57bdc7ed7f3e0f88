package dev.tollgate.gateway.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.gateway.admin.AdminApi;
import dev.tollgate.gateway.audit.PromptLogStage;
import dev.tollgate.gateway.cache.CacheStage;
import dev.tollgate.gateway.cache.Embedder;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.dashboard.DashboardAssets;
import dev.tollgate.gateway.observe.MetricsEndpoint;
import dev.tollgate.gateway.observe.TraceContextStage;
import dev.tollgate.gateway.provider.Upstream;
import dev.tollgate.gateway.shadow.ShadowLane;
import dev.tollgate.gateway.shadow.ShadowStage;
import dev.tollgate.gateway.stage.AuthenticationStage;
import dev.tollgate.gateway.stage.BudgetStage;
import dev.tollgate.gateway.stage.CountTokensStage;
import dev.tollgate.gateway.stage.MeteringStage;
import dev.tollgate.gateway.stage.ProviderStage;
import dev.tollgate.gateway.stage.RoutingStage;
import dev.tollgate.gateway.stage.Stage;
import dev.tollgate.gateway.tier.CascadeStage;
import dev.tollgate.store.LedgerHealth;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.http.impl.VertxHttpResponseEncoder;
import io.vertx.core.internal.ContextInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One event loop's share of the gateway: the client connections the shared port gives it, its own provider
 * connection pools, and the request path as a chain of stages. Clients are served by a small HTTP/1.1 server on
 * Netty's codecs ({@link ServerConnection}), without Vert.x's per-request objects, futures and header copies.
 */
public final class GatewayVerticle extends VerticleBase implements ServerConnection.Requests {

    private static final Logger log = LoggerFactory.getLogger(GatewayVerticle.class);
    private static final Map<String, Api> API_PATHS = Map.of(
            "/v1/chat/completions", Api.OPENAI_CHAT,
            "/v1/completions", Api.OPENAI_COMPLETIONS,
            "/v1/embeddings", Api.OPENAI_EMBEDDINGS,
            "/v1/responses", Api.OPENAI_RESPONSES,
            "/v1/messages", Api.ANTHROPIC_MESSAGES,
            "/v1/messages/count_tokens", Api.ANTHROPIC_COUNT_TOKENS);

    /** How long a stopping gateway waits for calls in flight (under the usual 30 s a container gets after SIGTERM). */
    public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(25);

    private final GatewayServices services;
    private final int port;
    private final Map<String, Upstream> upstreams = new HashMap<>();
    private Stage.Chain requestPath;
    private Stage.Chain countTokensPath;
    private ModelsEndpoint models;
    private AdminApi admin;
    private DashboardAssets dashboard;
    private MetricsEndpoint metrics;

    /** The request decoder's limits: an 8 KiB request line (Vert.x's default is 4 KiB) and 8 KiB of headers. */
    private static final HttpServerOptions DECODER_LIMITS = new HttpServerOptions().setMaxInitialLineLength(8192);

    private final ClientListener listener;
    private final ConnectionGuard guard;
    private ClientConnections connections;

    private final ShadowLane shadows;

    /** {@code guard} counts client connections across all the gateway's verticles. */
    public GatewayVerticle(GatewayServices services, ClientListener listener, int port, ConnectionGuard guard) {
        this(services, listener, port, guard, null);
    }

    /**
     * {@code listener}: the shared client port (on {@code port}); {@code shadows}: where shadow calls run (null when
     * no route has shadow traffic).
     */
    public GatewayVerticle(GatewayServices services, ClientListener listener, int port, ConnectionGuard guard, ShadowLane shadows) {
        this.services = services;
        this.listener = listener;
        this.port = port;
        this.guard = guard;
        this.shadows = shadows;
    }

    @Override
    public Future<?> start() {
        GatewayConfig config = services.config();
        config.providers().values().forEach(p -> upstreams.put(p.name(), new Upstream((ContextInternal) context, p, config.server())));
        Stage authentication = new AuthenticationStage(services.keys());
        Map<String, Embedder> embedders = new HashMap<>(); // one per embeddings model a tier classifier uses, on this event loop
        Stage routing = new RoutingStage(services.router(), model -> embedders.computeIfAbsent(model, m -> new Embedder(vertx, port, m)));
        ProviderStage provider = new ProviderStage(upstreams, config.server(), vertx,
                services.ledger()::append, services.catalog());
        BudgetStage budgets = new BudgetStage(services.budgets(), services.router(), services.catalog());
        MeteringStage metering = new MeteringStage(services.catalog(), services.ledger());
        Stage shadow = ShadowStage.of(shadows, services.observability().shadows(), services.clock());
        requestPath = Stage.chain(List.of(authentication, routing, shadow, TraceContextStage.of(services.observability()),
                new CacheStage(services.cache(), services.ledger(),
                        config.cache().nearDuplicate().enabled() ? new Embedder(vertx, port, config.cache().nearDuplicate().embeddingsModel()) : null),
                new CascadeStage(),
                budgets,
                PromptLogStage.of(services.observability().prompts()),
                metering), provider);
        // counting tokens is free at every provider: the same path without metering
        // (and no tier classifier: counting is free, an embedding is not; the default tier's model counts)
        countTokensPath = Stage.chain(List.of(authentication, new RoutingStage(services.router())), new CountTokensStage(upstreams, provider));
        models = new ModelsEndpoint(services);
        admin = new AdminApi(vertx, services);
        dashboard = new DashboardAssets();
        metrics = new MetricsEndpoint(vertx, services.observability(), config.admin().token());
        connections = new ClientConnections((ContextInternal) context, guard, config.server());
        // HTTP/1.1 only: with clear-text HTTP/2, a connection would be known only once its first request head is
        // complete (it might ask to upgrade), so a client that never completes one could not be timed out.
        // Every response is written from this event loop (admin queries hop back to it).
        return listener.join(((ContextInternal) context).nettyEventLoop(), channel -> {
            channel.pipeline().addLast("decoder", new VertxHttpRequestDecoder(DECODER_LIMITS))
                    .addLast("encoder", new VertxHttpResponseEncoder());
            connections.opened(channel, this);
        });
    }

    /**
     * Stops accepting connections, lets the calls in flight finish (each connection closes once its request is
     * answered, within {@link #SHUTDOWN_GRACE}), and only then closes the provider connections those calls need.
     */
    @Override
    public Future<?> stop() {
        if (connections == null) return Future.succeededFuture();
        Future<Void> drained = listener.leave(((ContextInternal) context).nettyEventLoop())
                .eventually(() -> connections.shutdown(SHUTDOWN_GRACE.toMillis()));
        return drained.eventually(() -> {
            if (connections != null) connections.close();
            upstreams.values().forEach(Upstream::close);
            return Future.succeededFuture();
        });
    }

    @Override
    public void handle(ServerRequest request) {
        String path = request.path();
        Api api = apiOf(path);
        if (api != null && request.method() == HttpMethod.POST) {
            dispatch(request, api, request.bodyNow());
        } else if (path.equals("/health")) {
            health(request);
        } else if (path.equals("/metrics") && request.method() == HttpMethod.GET) {
            metrics.handle(request);
        } else if (path.equals("/v1/models") || path.equals("/models")) {
            models.handle(request);
        } else if (path.startsWith("/admin/")) {
            admin.handle(request);
        } else if (DashboardAssets.owns(path)) {
            dashboard.handle(request);
        } else {
            WireFormat format = request.getHeader("anthropic-version") != null ? WireFormat.ANTHROPIC : WireFormat.OPENAI;
            GatewayError error = api != null
                    ? new GatewayError(405, "invalid_request_error", "method_not_allowed", "use POST for " + path, null, null)
                    : GatewayError.notFound("no route " + request.method() + " " + path + " on this gateway", "unknown_url");
            HttpReply.answer(request.response(), error, format, RequestIds.next());
        }
    }

    /** The API a path asks for ({@code /v1/…}, or the same without {@code /v1}); null for other paths. */
    private static Api apiOf(String path) {
        Api api = API_PATHS.get(path);
        if (api == null && !path.startsWith("/v1/") && !path.startsWith("/admin") && !path.equals("/health") && !path.equals("/metrics")) {
            api = API_PATHS.get("/v1" + path);
        }
        return api;
    }

    /**
     * 200 {@code {"status":"ok"}}; 200 {@code "degraded"} with the reason while the ledger cannot write as it goes
     * (rows are kept); 503 {@code "failing"} while it refuses metered calls because it can keep no more rows.
     */
    private void health(ServerRequest request) {
        LedgerHealth h = services.ledger().health();
        if (!h.degraded()) {
            request.response().putHeader("content-type", "application/json").end("{\"status\":\"ok\"}");
            return;
        }
        ObjectNode body = Json.object();
        body.put("status", h.refusing() ? "failing" : "degraded").put("reason", h.reason());
        body.putObject("ledger").put("queued_rows", h.queuedRows()).put("spooled_rows", h.spooledRows())
                .put("lost_rows", h.lostRows()).put("lag_seconds", h.lagSeconds());
        request.response().setStatusCode(h.refusing() ? 503 : 200).putHeader("content-type", "application/json")
                .end(Json.buffer(body));
    }

    /** 413 in the wire format of the API asked for (the connection closes after it: the rest of the body is unread). */
    @Override
    public void tooLarge(ServerRequest request, long limit) {
        Api api = apiOf(request.path());
        WireFormat format = api != null ? api.format()
                : request.getHeader("anthropic-version") != null ? WireFormat.ANTHROPIC : WireFormat.OPENAI;
        HttpReply.answer(request.response(), GatewayError.tooLarge(limit), format, RequestIds.next());
    }

    private void dispatch(ServerRequest request, Api api, Buffer body) {
        String requestId = RequestIds.next();
        JsonNode parsed;
        try {
            parsed = Json.parse(body);
        } catch (JsonProcessingException e) {
            reject(request, api, requestId, GatewayError.badRequest(Json.describe(e), null));
            return;
        } catch (IOException e) {
            reject(request, api, requestId, GatewayError.badRequest("could not read the request body: " + e.getMessage(), null));
            return;
        }
        if (parsed == null || !parsed.isObject()) {
            reject(request, api, requestId, GatewayError.badRequest("the request body must be a JSON object", null));
            return;
        }
        Exchange exchange = new Exchange(requestId, api, services.clock().instant(), System.nanoTime(), request.headers(), body, (ObjectNode) parsed);
        HttpReply reply = new HttpReply(request.response(), exchange);
        exchange.connection(reply);
        try {
            (api == Api.ANTHROPIC_COUNT_TOKENS ? countTokensPath : requestPath).proceed(exchange, reply);
        } catch (RuntimeException e) {
            log.error("request {} failed inside the gateway", requestId, e);
            reply.fail(new GatewayError(500, "api_error", "internal_error",
                    "the gateway failed to handle this request (request id " + requestId + ")", null, null));
        }
    }

    private static void reject(ServerRequest request, Api api, String requestId, GatewayError error) {
        HttpReply.answer(request.response(), error, api.format(), requestId);
    }
}
