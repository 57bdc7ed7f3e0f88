package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.tollgate.core.tokens.TokenCounter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A simulated model provider speaking OpenAI's and Anthropic's wire formats and reporting realistic usage: a free
 * practice ground for teams, and the upstream of Tollgate's own tests and load benchmarks.
 *
 * <h2>Routes</h2>
 * OpenAI: {@code POST /v1/chat/completions}, {@code POST /v1/completions}, {@code POST /v1/embeddings},
 * {@code POST /v1/responses}, {@code GET /v1/models}. Anthropic: {@code POST /v1/messages},
 * {@code POST /v1/messages/count_tokens}. Streams ({@code "stream": true}) are server-sent events in each API's shape.
 *
 * <h2>Usage it reports</h2>
 * <ul>
 * <li>Input tokens are counted with {@link dev.tollgate.core.tokens.TokenCounter} for the request's model: exact for
 *     OpenAI text (3 tokens per message, 1 per name, 3 priming the reply), an o200k_base approximation for Claude.
 *     Tool definitions add the token count of their JSON, an approximation of what providers bill for them.</li>
 * <li>The answer is as long as the lowest of the request's cap ({@code max_completion_tokens}, {@code max_tokens},
 *     {@code max_output_tokens}), {@code x-sandbox-output-tokens} and {@link SandboxConfig#defaultOutputTokens()};
 *     when the cap decided, the finish reason says so ({@code length}, {@code max_tokens}, {@code incomplete}).</li>
 * <li>The visible text tokenizes to exactly the reported output tokens with both o200k_base and cl100k_base, so a
 *     stream counted locally after a cut gives the right figure.</li>
 * <li>Reasoning models (names starting o1, o3, o4, gpt-5) report {@link SandboxConfig#reasoningShare()} of their
 *     output tokens as reasoning tokens, included in the output count as OpenAI does; the visible text is the
 *     rest.</li>
 * <li>Chat Completions for those models refuse {@code max_tokens} with a 400, as OpenAI's do (they take
 *     {@code max_completion_tokens}).</li>
 * <li>OpenAI prompt caching, approximated: a prompt of 1024+ tokens whose leading messages were all seen before
 *     reports the longest such prefix, rounded down to a multiple of 128, as cached tokens.</li>
 * <li>Anthropic prompt caching: the input up to the last {@code cache_control} breakpoint (tools, then system, then
 *     messages) is a cache write the first time it is seen and a cache read after; {@code input_tokens} counts only
 *     what follows the last breakpoint. Anthropic's minimum cacheable length is not simulated.</li>
 * <li>Tools: while the conversation has no tool result yet, the answer is a call of the first tool (or the one
 *     {@code tool_choice} names) with each required parameter filled with a sample value of its type.</li>
 * </ul>
 *
 * <h2>Per-request headers (deterministic, for tests)</h2>
 * <ul>
 * <li>{@code x-sandbox-fault: 500|503|529|429|timeout|cut} — answer with that error (429 carries
 *     {@code retry-after}; 529 is Anthropic's overloaded status), never answer ({@code timeout}), or close the
 *     connection: before any response for a non-stream, after about half of the output events for a stream
 *     ({@code cut}). Without the header a fault is drawn from the configured rates.</li>
 * <li>{@code x-sandbox-fault: stream-error|stall|malformed} — a stream opens (HTTP 200 and its opening events, e.g.
 *     {@code message_start}) and then refuses in-band before its first content (Anthropic: {@code event: error} with
 *     {@code overloaded_error}; OpenAI: an {@code error} chunk of type {@code server_error}), sends nothing more with
 *     the connection left open, or sends an event that is not JSON.</li>
 * <li>{@code x-sandbox-output-tokens: N} — answer with N output tokens (the request's cap still applies).</li>
 * <li>{@code x-sandbox-latency-ms: N} — wait N ms before the response head, or before the first token of a
 *     stream, instead of the configured latency.</li>
 * <li>{@code x-sandbox-quality: Q} — answer the share Q of prompts right (see {@link Quality} and {@link Reply}).</li>
 * </ul>
 *
 * <h2>Structured output and checkable answers</h2>
 * A JSON schema in {@code response_format}, {@code text.format} or {@code output_config.format} is answered with
 * JSON valid against it ({@code json_object} with {@code {"answer": …}}), streamed in small deltas; a line
 * "Reply with exactly: X" is answered X; a grading prompt with {@code <reference>} and {@code <answer>} is answered
 * PASS or FAIL. Under a quality below 1 a share of those answers is wrong (see {@link Reply}). Their output tokens
 * are counted from the text written, with no reasoning tokens.
 */
public final class SandboxServer {

    private final Vertx vertx;
    private final SandboxConfig config;
    private final TextGenerator text;
    private final Map<String, Route> posts = new HashMap<>();
    private final Map<String, Route> gets = new HashMap<>();
    private HttpServer server;
    private final java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();

    private record Route(Dialect dialect, Consumer<Call> handler) {
    }

    private SandboxServer(Vertx vertx, SandboxConfig config) {
        this.vertx = vertx;
        this.config = config;
        this.text = new TextGenerator(config.seed());
        OpenAiRoutes openAi = new OpenAiRoutes(new PromptCache(100_000));
        ResponsesRoute responses = new ResponsesRoute(new PromptCache(100_000));
        AnthropicRoutes anthropic = new AnthropicRoutes(new PromptCache(100_000));
        posts.put("/v1/chat/completions", new Route(Dialect.OPENAI, openAi::chatCompletions));
        posts.put("/v1/completions", new Route(Dialect.OPENAI, openAi::completions));
        posts.put("/v1/embeddings", new Route(Dialect.OPENAI, new EmbeddingsRoute(config.seed())::embeddings));
        posts.put("/v1/responses", new Route(Dialect.OPENAI, responses::responses));
        gets.put("/v1/models", new Route(Dialect.OPENAI, OpenAiRoutes::models));
        posts.put("/v1/messages", new Route(Dialect.ANTHROPIC, anthropic::messages));
        posts.put("/v1/messages/count_tokens", new Route(Dialect.ANTHROPIC, anthropic::countTokens));
    }

    /** Starts a sandbox on {@code port} (0 picks a free one) on the given Vert.x instance's event loop. */
    public static Future<SandboxServer> start(Vertx vertx, SandboxConfig config, int port) {
        Objects.requireNonNull(vertx, "vertx");
        Objects.requireNonNull(config, "config");
        SandboxServer sandbox = new SandboxServer(vertx, config);
        // it counts every prompt, but listening must not wait for the encodings (about a second): a gateway started
        // beside it would find nobody there; a first prompt waits only for its own encoding
        TokenCounter.warmUpInBackground();
        sandbox.server = vertx.createHttpServer(new HttpServerOptions().setPort(port).setTcpNoDelay(true))
                .requestHandler(sandbox::handle);
        return sandbox.server.listen().map(s -> sandbox);
    }

    /** The port it listens on. */
    public int port() {
        return server.actualPort();
    }

    public SandboxConfig config() {
        return config;
    }

    /** Requests received since start, answered or not: how tests see how often a gateway called its provider. */
    public long requestsReceived() {
        return received.get();
    }

    /** Stops listening and closes open connections, hanging ones ({@code timeout} faults) included. */
    public Future<Void> close() {
        return server.close();
    }

    private void handle(HttpServerRequest request) {
        received.incrementAndGet();
        String path = request.path();
        boolean post = request.method() == HttpMethod.POST;
        Route route = (post ? posts : gets).get(path);
        if (route == null) {
            Dialect dialect = path.startsWith("/v1/messages") ? Dialect.ANTHROPIC : Dialect.OPENAI;
            new Call(vertx, config, text, request, dialect, MissingNode.getInstance(), false)
                    .error(404, "not_found_error", "Unknown request URL: " + request.method() + " " + path);
            return;
        }
        if (!post) {
            dispatch(request, route, MissingNode.getInstance());
            return;
        }
        request.body().onSuccess(body -> {
            JsonNode json = parse(body);
            if (json == null || !json.isObject()) {
                new Call(vertx, config, text, request, route.dialect, MissingNode.getInstance(), false)
                        .badRequest("The request body is not a valid JSON object.");
                return;
            }
            dispatch(request, route, json);
        });
    }

    private void dispatch(HttpServerRequest request, Route route, JsonNode body) {
        Fault fault = Fault.decide(request.getHeader("x-sandbox-fault"), config);
        Call call = new Call(vertx, config, text, request, route.dialect, body, fault == Fault.CUT);
        switch (fault) {
            case TIMEOUT -> { } // never answer: the client's timeout is what is under test
            case CUT -> {
                if (call.streaming()) route.handler.accept(call);
                else request.connection().close();
            }
            case NONE -> route.handler.accept(call);
            case STREAM_ERROR, STALL, MALFORMED -> refuseOpening(call, route, fault);
            default -> failWith(call, fault);
        }
    }

    /** A stream refused after its opening; a complete answer with the same fault fails as a plain error (or hangs). */
    private void refuseOpening(Call call, Route route, Fault fault) {
        if (call.streaming()) {
            call.opening = fault;
            route.handler.accept(call);
        } else if (fault == Fault.STREAM_ERROR) {
            failWith(call, call.dialect == Dialect.ANTHROPIC ? Fault.OVERLOADED_529 : Fault.SERVER_ERROR);
        } else if (fault == Fault.MALFORMED) {
            call.request.response().putHeader("content-type", "application/json").end("{not json");
        } // STALL: never answer
    }

    private void failWith(Call call, Fault fault) {
        var response = call.request.response();
        if (fault == Fault.RATE_LIMITED) {
            String retryAfter = Integer.toString(config.retryAfterSeconds());
            response.putHeader("retry-after", retryAfter);
            if (call.dialect == Dialect.OPENAI) {
                response.putHeader("x-ratelimit-limit-requests", "10000")
                        .putHeader("x-ratelimit-remaining-requests", "0")
                        .putHeader("x-ratelimit-reset-requests", retryAfter + "s");
            } else {
                response.putHeader("anthropic-ratelimit-requests-limit", "4000")
                        .putHeader("anthropic-ratelimit-requests-remaining", "0");
            }
            call.error(429, "rate_limit_error", call.dialect == Dialect.OPENAI
                    ? "Rate limit reached for requests (simulated by the Tollgate sandbox). Please try again in "
                      + retryAfter + "s."
                    : "Number of requests has exceeded your rate limit (simulated by the Tollgate sandbox).");
        } else if (fault == Fault.SERVER_ERROR) {
            call.error(500, "api_error", "The server had an error while processing your request (simulated).");
        } else {
            call.error(fault.status(), "overloaded_error", "Overloaded (simulated by the Tollgate sandbox).");
        }
    }

    private static JsonNode parse(Buffer body) {
        try {
            return Json.MAPPER.readTree(body.getBytes());
        } catch (IOException e) {
            return null;
        }
    }
}
