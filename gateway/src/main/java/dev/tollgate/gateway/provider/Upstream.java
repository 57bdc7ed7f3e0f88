package dev.tollgate.gateway.provider;

import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.gateway.config.GatewayConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One provider as seen from one event loop: its dialect, where its endpoints are, how it authenticates, and a pool
 * of keep-alive connections owned by that event loop (no cross-thread hand-off on the request path). A request is
 * one pre-encoded head per (API, model), its content-length and the body, written in one piece.
 */
public final class Upstream {

    private static final int MAX_CONNECTIONS = 512;
    private static final byte[] CONTENT_LENGTH = ascii("content-length: ");
    private static final byte[] END_OF_HEAD = ascii("\r\n\r\n");

    private final GatewayConfig.Provider config;
    private final WireFormat dialect;
    private final boolean azure;
    private final String host;
    private final int port;
    private final String basePath;
    private final ConnectionPool pool;
    /** Whether the configured headers name these, which then win over the client's. */
    private final boolean configuredVersion;
    private final boolean configuredBeta;
    /** Request line and fixed headers per API and model, as bytes; only touched on the event loop. */
    private final Map<Api, Map<String, byte[]>> heads = new EnumMap<>(Api.class);

    public Upstream(ContextInternal context, GatewayConfig.Provider config, GatewayConfig.Server server) {
        this(context, config, server, null, MAX_CONNECTIONS);
    }

    /** {@code tls}: the TLS client settings for an https provider; null for the JDK's trusted certificates. */
    Upstream(ContextInternal context, GatewayConfig.Provider config, GatewayConfig.Server server, SslContext tls, int maxConnections) {
        this(context, config, server, tls, maxConnections, ConnectionPool.KEEP_ALIVE);
    }

    /** {@code keepAlive}: how long a connection may stay idle in the pool before it is closed. */
    Upstream(ContextInternal context, GatewayConfig.Provider config, GatewayConfig.Server server, SslContext tls, int maxConnections,
             Duration keepAlive) {
        this.config = config;
        this.dialect = config.type().equals("anthropic") ? WireFormat.ANTHROPIC : WireFormat.OPENAI;
        this.azure = config.type().equals("azure");
        URI uri = URI.create(config.baseUrl());
        boolean ssl = "https".equalsIgnoreCase(uri.getScheme());
        this.host = uri.getHost();
        this.port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (dialect == WireFormat.ANTHROPIC && path.endsWith("/v1")) path = path.substring(0, path.length() - 3);
        this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        this.configuredVersion = config.headers().keySet().stream().anyMatch("anthropic-version"::equalsIgnoreCase);
        this.configuredBeta = config.headers().keySet().stream().anyMatch("anthropic-beta"::equalsIgnoreCase);
        String address = host.startsWith("[") ? host.substring(1, host.length() - 1) : host; // an IPv6 literal's brackets are URL syntax
        this.pool = new ConnectionPool(context, address, port, ssl ? (tls != null ? tls : Tls.client()) : null,
                server.connectTimeout(), server.upstreamTimeout(), maxConnections, keepAlive);
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

    /**
     * Sends {@code body} to this provider's {@code api} endpoint for {@code model}; Anthropic calls carry the client's
     * {@code anthropic-version} and {@code anthropic-beta}. The answer comes to {@code answer} on this event loop.
     */
    public UpstreamCall send(Api api, String model, MultiMap clientHeaders, Buffer body, UpstreamCall.Answer answer) {
        UpstreamCall call = new UpstreamCall(answer);
        if (pool.eventLoop().inEventLoop()) send(call, api, model, clientHeaders, body);
        else pool.eventLoop().execute(() -> send(call, api, model, clientHeaders, body));
        return call;
    }

    private void send(UpstreamCall call, Api api, String model, MultiMap clientHeaders, Buffer body) {
        byte[] head = heads.computeIfAbsent(api, a -> new HashMap<>()).computeIfAbsent(model, m -> head(api, m));
        String version = null;
        String beta = null;
        if (dialect == WireFormat.ANTHROPIC) {
            if (!configuredVersion) {
                version = headerValue(clientHeaders.get("anthropic-version"));
                if (version == null) version = "2023-06-01";
            }
            if (!configuredBeta) beta = headerValue(clientHeaders.get("anthropic-beta"));
        }
        ByteBuf bytes = ((BufferInternal) body).getByteBuf();
        int length = bytes.readableBytes();
        ByteBuf request = ByteBufAllocator.DEFAULT.directBuffer(head.length + length + 64
                + (version == null ? 0 : version.length() + 24) + (beta == null ? 0 : beta.length() + 24));
        request.writeBytes(head);
        if (version != null) header(request, "anthropic-version", version);
        if (beta != null) header(request, "anthropic-beta", beta);
        request.writeBytes(CONTENT_LENGTH);
        request.writeCharSequence(Integer.toString(length), StandardCharsets.US_ASCII);
        request.writeBytes(END_OF_HEAD);
        request.writeBytes(bytes, bytes.readerIndex(), length);
        call.request(request);
        pool.send(call);
    }

    /** A client's header value, passed on only when it cannot break the request head. */
    private static String headerValue(String value) {
        if (value == null) return null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c > 0x7e) return null;
        }
        return value;
    }

    private static void header(ByteBuf out, String name, String value) {
        out.writeCharSequence(name, StandardCharsets.US_ASCII);
        out.writeByte(':');
        out.writeByte(' ');
        out.writeCharSequence(value, StandardCharsets.US_ASCII);
        out.writeByte('\r');
        out.writeByte('\n');
    }

    /** The request line and every header that does not change from call to call, ending in CRLF. */
    private byte[] head(Api api, String model) {
        StringBuilder head = new StringBuilder(256).append("POST ").append(path(api, model)).append(" HTTP/1.1\r\n");
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("host", port == 80 || port == 443 ? host : host + ":" + port);
        headers.put("content-type", "application/json");
        headers.put("accept", "application/json, text/event-stream");
        headers.put("user-agent", "tollgate"); // so a provider's logs tell gateway traffic apart
        String key = config.apiKey();
        if (key != null && !key.isEmpty()) {
            if (dialect == WireFormat.ANTHROPIC) headers.put("x-api-key", key);
            else if (azure) headers.put("api-key", key);
            else headers.put("authorization", "Bearer " + key);
        }
        config.headers().forEach((name, value) -> headers.put(name.toLowerCase(Locale.ROOT), value)); // the configured headers win
        headers.forEach((name, value) -> {
            if (headerValue(value) == null || headerValue(name) == null || name.indexOf(':') >= 0) {
                throw new IllegalArgumentException("provider '" + config.name() + "': header " + name + " has characters HTTP does not allow");
            }
            head.append(name).append(": ").append(value).append("\r\n");
        });
        return ascii(head.toString());
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

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Connections open now, for tests. */
    int openConnections() {
        return pool.openConnections();
    }

    public void close() {
        pool.close();
    }
}
