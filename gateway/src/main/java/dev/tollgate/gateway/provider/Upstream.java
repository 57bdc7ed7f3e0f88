package dev.tollgate.gateway.provider;

import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.gateway.config.GatewayConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One provider as seen from one event loop: its dialect, where its endpoints are, how it authenticates, and a pool
 * of keep-alive connections owned by that event loop (no cross-thread hand-off on the request path).
 */
public final class Upstream {

    private static final int MAX_CONNECTIONS = 512;

    private final GatewayConfig.Provider config;
    private final WireFormat dialect;
    private final boolean azure;
    private final String host;
    private final int port;
    private final boolean ssl;
    private final String basePath;
    private final HttpClient client;
    private final Duration idleTimeout;
    /**
     * The headers every call to this provider carries, built once as pre-encoded ASCII: Netty copies those in bulk,
     * where a {@code String} is written to the socket buffer byte by byte (a tenth of the gateway's CPU under load).
     * Vert.x copies them into each request, so one map is shared.
     */
    private final MultiMap fixedHeaders;
    /** Calls that carry nothing of the client's (all but Anthropic's) reuse one read-only set of options per target. */
    private final Map<Target, RequestOptions> fixedRequests = new ConcurrentHashMap<>();

    private record Target(Api api, String model) {
    }

    public Upstream(Vertx vertx, GatewayConfig.Provider config, GatewayConfig.Server server) {
        this.config = config;
        this.dialect = config.type().equals("anthropic") ? WireFormat.ANTHROPIC : WireFormat.OPENAI;
        this.azure = config.type().equals("azure");
        URI uri = URI.create(config.baseUrl());
        this.ssl = "https".equalsIgnoreCase(uri.getScheme());
        this.host = uri.getHost();
        this.port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (dialect == WireFormat.ANTHROPIC && path.endsWith("/v1")) path = path.substring(0, path.length() - 3);
        this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        this.idleTimeout = server.upstreamTimeout();
        HttpClientOptions options = new HttpClientOptions()
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setConnectTimeout((int) server.connectTimeout().toMillis())
                .setSsl(ssl)
                .setTrustAll(false)
                .setVerifyHost(ssl)
                .setDecompressionSupported(false);
        this.client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS));
        this.fixedHeaders = fixedHeaders();
    }

    private MultiMap fixedHeaders() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        set(headers, "content-type", "application/json");
        set(headers, "accept", "application/json, text/event-stream");
        set(headers, "host", port == 80 || port == 443 ? host : host + ":" + port);
        String key = config.apiKey();
        if (key != null && !key.isEmpty()) {
            if (dialect == WireFormat.ANTHROPIC) set(headers, "x-api-key", key);
            else if (azure) set(headers, "api-key", key);
            else set(headers, "authorization", "Bearer " + key);
        }
        config.headers().forEach((name, value) -> set(headers, name, value));
        return headers;
    }

    private static void set(MultiMap headers, String name, String value) {
        headers.set(HttpHeaders.createOptimized(name.toLowerCase(java.util.Locale.ROOT)), HttpHeaders.createOptimized(value));
    }

    public String name() {
        return config.name();
    }

    /** Whether Responses API calls must be translated to Chat Completions for this provider. */
    public boolean responsesOverChat() {
        return config.responsesOverChat();
    }

    public WireFormat dialect() {
        return dialect;
    }

    public HttpClient client() {
        return client;
    }

    /** The request options for calling {@code api} on this provider for {@code model}; callers must not change them. */
    public RequestOptions request(Api api, String model, MultiMap clientHeaders) {
        if (dialect != WireFormat.ANTHROPIC) return fixedRequests.computeIfAbsent(new Target(api, model), t -> newRequest(api, model, clientHeaders));
        return newRequest(api, model, clientHeaders);
    }

    private RequestOptions newRequest(Api api, String model, MultiMap clientHeaders) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(host)
                .setPort(port)
                .setSsl(ssl)
                .setURI(path(api, model))
                .setIdleTimeout(idleTimeout.toMillis());
        MultiMap headers = fixedHeaders;
        if (dialect == WireFormat.ANTHROPIC) {
            headers = MultiMap.caseInsensitiveMultiMap().setAll(fixedHeaders);
            String version = clientHeaders.get("anthropic-version");
            headers.set("anthropic-version", version != null ? version : "2023-06-01");
            String beta = clientHeaders.get("anthropic-beta");
            if (beta != null) headers.set("anthropic-beta", beta);
            MultiMap own = headers;
            config.headers().forEach((name, value) -> set(own, name, value)); // the configured headers win, as before
        }
        options.setHeaders(headers);
        return options;
    }

    private String path(Api api, String model) {
        if (dialect == WireFormat.ANTHROPIC) return basePath + "/v1" + api.path();
        if (azure) {
            String version = config.apiVersion() == null ? "2024-10-21" : config.apiVersion();
            return basePath + "/openai/deployments/" + URLEncoder.encode(model, StandardCharsets.UTF_8) + api.path()
                    + "?api-version=" + URLEncoder.encode(version, StandardCharsets.UTF_8);
        }
        return basePath + api.path();
    }

    public void close() {
        client.close();
    }
}
