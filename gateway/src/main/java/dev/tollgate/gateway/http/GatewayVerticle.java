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
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.internal.ContextInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One event loop's share of the gateway: an HTTP server on the shared port, its own provider connection pools,
 * and the request path as a chain of stages.
 */
public final class GatewayVerticle extends VerticleBase {

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
    private HttpServer server;

    private final ConnectionGuard guard;
    private ClientConnections connections;

    private final ShadowLane shadows;

    /** {@code guard} counts client connections across all the gateway's verticles. */
    public GatewayVerticle(GatewayServices services, int port, ConnectionGuard guard) {
        this(services, port, guard, null);
    }

    /** {@code shadows}: where shadow calls run (null when no route has shadow traffic). */
    public GatewayVerticle(GatewayServices services, int port, ConnectionGuard guard, ShadowLane shadows) {
        this.services = services;
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
        ProviderStage provider = new ProviderStage(upstreams, config.server().defaultMaxTokens(), vertx,
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
        // Strict thread mode: every response is written from this verticle's event loop (admin queries hop back
        // to it), so Vert.x can skip the locking it otherwise does around HTTP/1 writes.
        server = vertx.createHttpServer(new HttpServerOptions()
                .setStrictThreadMode(true)
                .setTcpNoDelay(true)
                .setMaxInitialLineLength(8192)
                .setCompressionSupported(false)
                // HTTP/1.1 only: with clear-text HTTP/2 on, a connection is known only once its first request head is
                // complete (it might ask to upgrade), so a client that never completes one could not be timed out
                .setHttp2ClearTextEnabled(false));
        connections = new ClientConnections(vertx, guard, config.server());
        return server.connectionHandler(connections::opened).requestHandler(this::handle).listen(port);
    }

    /**
     * Stops accepting connections, lets the calls in flight finish (each connection closes once its request is
     * answered, within {@link #SHUTDOWN_GRACE}), and only then closes the provider connections those calls need.
     */
    @Override
    public Future<?> stop() {
        Future<Void> drained = server == null ? Future.succeededFuture() : server.shutdown(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        return drained.eventually(() -> {
            if (connections != null) connections.close();
            upstreams.values().forEach(Upstream::close);
            return Future.succeededFuture();
        });
    }

    private void handle(HttpServerRequest request) {
        if (!connections.started(request)) return;
        String path = request.path();
        Api api = API_PATHS.get(path);
        if (api == null && !path.startsWith("/v1/") && !path.startsWith("/admin") && !path.equals("/health") && !path.equals("/metrics")) {
            api = API_PATHS.get("/v1" + path);
        }
        if (api != null && request.method() == HttpMethod.POST) {
            readBody(request, api);
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
            request.response().setStatusCode(error.status()).putHeader("content-type", "application/json")
                    .end(error.render(format, null));
        }
    }

    /**
     * 200 {@code {"status":"ok"}}; 200 {@code "degraded"} with the reason while the ledger cannot write as it goes
     * (rows are kept); 503 {@code "failing"} while it refuses metered calls because it can keep no more rows.
     */
    private void health(HttpServerRequest request) {
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

    /** Reads the body up to the configured limit; a larger one is refused with 413 as soon as it is seen. */
    private void readBody(HttpServerRequest request, Api api) {
        long limit = services.config().server().maxBodyBytes();
        String declared = request.getHeader("content-length");
        if (declared != null && parseLength(declared) > limit) {
            tooLarge(request, api, limit);
            return;
        }
        int expected = declared != null ? (int) Math.max(0, parseLength(declared)) : 1024;
        BodyReader body = new BodyReader();
        request.handler(chunk -> {
            if (body.refused) return;
            body.add(chunk, expected);
            if (body.bytes.length() > limit) {
                body.refused = true;
                tooLarge(request, api, limit);
            }
        });
        request.endHandler(v -> {
            if (!body.refused) dispatch(request, api, body.bytes == null ? Buffer.buffer() : body.bytes);
        });
    }

    /**
     * A request body as it arrives. Most bodies come in one chunk, which is kept as Vert.x hands it over (a copy of
     * its own, not a pooled buffer); only a body in several chunks is gathered into a buffer of the gateway's.
     */
    private static final class BodyReader {
        Buffer bytes;
        boolean gathering;
        boolean refused;

        void add(Buffer chunk, int expected) {
            if (bytes == null) {
                bytes = chunk;
                return;
            }
            if (!gathering) {
                bytes = Buffer.buffer(Math.max(expected, bytes.length() + chunk.length())).appendBuffer(bytes);
                gathering = true;
            }
            bytes.appendBuffer(chunk);
        }
    }

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void tooLarge(HttpServerRequest request, Api api, long limit) {
        var response = request.response().setStatusCode(413).putHeader("content-type", "application/json")
                .putHeader(HttpReply.REQUEST_ID_HEADER, RequestIds.next());
        // The rest of the body is not read, so an HTTP/1 connection cannot be reused (HTTP/2 streams can).
        if (request.version() != HttpVersion.HTTP_2) response.putHeader("connection", "close");
        response.end(GatewayError.tooLarge(limit).render(api.format(), null));
    }

    private void dispatch(HttpServerRequest request, Api api, Buffer body) {
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

    private static void reject(HttpServerRequest request, Api api, String requestId, GatewayError error) {
        request.response().setStatusCode(error.status()).putHeader("content-type", "application/json")
                .putHeader(HttpReply.REQUEST_ID_HEADER, requestId).end(error.render(api.format(), requestId));
    }
}
