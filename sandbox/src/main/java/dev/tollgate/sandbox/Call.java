package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.tokens.TokenCounter;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/** One request on its way through the sandbox: its parsed body, its overrides, and how to answer it. */
final class Call {

    private static final CharSequence JSON = HttpHeaders.createOptimized("application/json");

    final Vertx vertx;
    final SandboxConfig config;
    final TextGenerator text;
    final HttpServerRequest request;
    final Dialect dialect;
    final JsonNode body;
    final String requestId;
    /** Close the connection mid-answer. */
    final boolean cut;
    /** A fault of a stream's opening (stream-error, stall, malformed), or NONE. */
    Fault opening = Fault.NONE;
    /** {@code x-sandbox-output-tokens}, or -1. */
    private final int outputTokensOverride;
    /** {@code x-sandbox-latency-ms}, or -1. */
    private final long latencyOverrideMs;

    Call(Vertx vertx, SandboxConfig config, TextGenerator text, HttpServerRequest request, Dialect dialect,
         JsonNode body, boolean cut) {
        this.vertx = vertx;
        this.config = config;
        this.text = text;
        this.request = request;
        this.dialect = dialect;
        this.body = body;
        this.cut = cut;
        this.requestId = Ids.next("req_");
        this.outputTokensOverride = headerInt(request, "x-sandbox-output-tokens");
        this.latencyOverrideMs = headerInt(request, "x-sandbox-latency-ms");
    }

    private static int headerInt(HttpServerRequest request, String name) {
        String value = request.getHeader(name);
        if (value == null) return -1;
        try {
            return Math.max(0, Integer.parseInt(value.trim()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    String model() {
        return body.path("model").asText("");
    }

    TokenCounter counter() {
        return TokenCounter.forModel(model());
    }

    boolean streaming() {
        return body.path("stream").asBoolean(false);
    }

    /** Output tokens to generate under the request's cap ({@code cap} < 0: none). */
    OutputPlan plan(int cap) {
        int wanted = outputTokensOverride >= 0 ? outputTokensOverride : config.defaultOutputTokens();
        return cap >= 0 && cap < wanted ? new OutputPlan(cap, true) : new OutputPlan(wanted, false);
    }

    /**
     * The reply the request asks for (structured output, "Reply with exactly: X", a grading prompt), right or wrong as
     * the model's {@code x-sandbox-quality} decides for its prompt; null to answer with prose. See {@link Reply}.
     */
    String reply(OutputFormat format) {
        return Reply.decide(Prompt.lastUserText(body), Quality.of(request), format);
    }

    /** How long a stream waits before its first token. */
    long timeToFirstTokenMs() {
        return latencyOverrideMs >= 0 ? latencyOverrideMs : config.timeToFirstToken().toMillis();
    }

    void json(JsonNode node) {
        json(200, node);
    }

    /** Sends a JSON answer after the configured latency ({@code x-sandbox-latency-ms} wins). */
    void json(int status, JsonNode node) {
        Buffer payload = Buffer.buffer(Json.write(node));
        long delay = latencyOverrideMs >= 0 ? latencyOverrideMs : config.latency().toMillis();
        if (delay <= 0) {
            send(status, payload);
        } else {
            vertx.setTimer(delay, id -> send(status, payload));
        }
    }

    private void send(int status, Buffer payload) {
        HttpServerResponse response = request.response();
        if (response.closed()) return;
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                .putHeader(dialect.requestIdHeader, requestId)
                .end(payload);
    }

    /** An error in the dialect's shape, sent at once. {@code kind} is the Anthropic error type. */
    void error(int status, String kind, String message) {
        request.response().setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                .putHeader(dialect.requestIdHeader, requestId)
                .end(Json.write(dialect.errorBody(status, kind, message, requestId)));
    }

    void badRequest(String message) {
        error(400, "invalid_request_error", message);
    }

    SseStream stream() {
        return new SseStream(this);
    }

    /** How many output tokens an answer has, and whether the request's cap is what stopped it. */
    record OutputPlan(int tokens, boolean capped) {
    }
}
