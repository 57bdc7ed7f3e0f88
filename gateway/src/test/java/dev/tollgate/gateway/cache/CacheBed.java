package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.MovableClock;
import dev.tollgate.gateway.TestTransport;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A gateway with a {@code cache:} section in front of the sandbox (which counts the requests it receives) and of a
 * flaky upstream whose first {@code failures} calls answer 500 after a delay. Four event loops, so that coalesced
 * clients are spread over several of them.
 */
final class CacheBed implements AutoCloseable {

    static final String KEY = "tg-search";
    static final String OTHER_KEY = "tg-ads";
    static final String ADMIN = "admin-secret";
    /** How long the slow provider takes to answer: long enough for concurrent clients to arrive meanwhile. */
    static final int SLOW_MS = 800;
    /** How long the flaky upstream takes to answer or fail. */
    static final int FLAKY_MS = 800;

    final Vertx vertx;
    final SandboxServer sandbox;
    final HttpServer flaky;
    final AtomicInteger flakyCalls = new AtomicInteger();
    final DuckDbLedger ledger;
    final GatewayServices services;
    final Gateway gateway;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** The gateway's clock: TTLs and windows pass when the test moves it. */
    final MovableClock clock = new MovableClock(Instant.now());

    CacheBed(Path dataDir, String cacheYaml, int flakyFailures) throws Exception {
        vertx = TestTransport.choice().vertx(new VertxOptions().setEventLoopPoolSize(4));
        sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
        flaky = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
            int call = flakyCalls.incrementAndGet();
            vertx.setTimer(FLAKY_MS, id -> {
                if (call <= flakyFailures) {
                    request.response().setStatusCode(500).putHeader("content-type", "application/json")
                            .end("{\"error\":{\"message\":\"flaky upstream failed call " + call + "\",\"type\":\"server_error\"}}");
                } else {
                    request.response().putHeader("content-type", "application/json").end("""
                            {"id":"chatcmpl-%d","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,\
                            "message":{"role":"assistant","content":"answer of call %d"},"finish_reason":"stop"}],\
                            "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}""".formatted(call, call));
                }
            });
        })).listen(0).await();
        String s = "http://127.0.0.1:" + sandbox.port();
        String f = "http://127.0.0.1:" + flaky.actualPort();
        String yaml = """
                server:
                  upstream_timeout_ms: 5000
                admin:
                  token: %s
                %s
                providers:
                  sandbox: {type: openai, base_url: "%s/v1"}
                  sandbox-anthropic: {type: anthropic, base_url: "%s"}
                  slow: {type: openai, base_url: "%s/v1", headers: {x-sandbox-latency-ms: "%d"}}
                  flaky: {type: openai, base_url: "%s/v1"}
                models:
                  - {name: gpt-4o-mini, provider: sandbox}
                  - {name: shared-model, provider: sandbox, model: gpt-4o-mini}
                  - {name: uncached-model, provider: sandbox, model: gpt-4o-mini}
                  - {name: claude-haiku-4-5, provider: sandbox-anthropic}
                  - {name: slow-model, provider: slow, model: gpt-4o-mini}
                  - {name: flaky-model, provider: flaky, model: gpt-4o-mini}
                  - {name: text-embedding-3-small, provider: sandbox}
                keys:
                  - {key: %s, name: search-prod, tags: {team: search}}
                  - {key: %s, name: ads-dev, tags: {team: ads}}
                """.formatted(ADMIN, cacheYaml, s, s, s, SLOW_MS, f, KEY, OTHER_KEY);
        GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse(yaml);
        ledger = DuckDbLedger.open(dataDir);
        services = GatewayServices.of(config, PriceCatalog.bundled(), ledger, null, clock);
        gateway = Gateway.start(vertx, services, 0, 4).await();
    }

    String url() {
        return gateway.baseUrl();
    }

    HttpRequest request(String path, String body, String key, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path))
                .header("content-type", "application/json").header("authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return b.build();
    }

    HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        return postAs(path, body, KEY, headers);
    }

    HttpResponse<String> postAs(String path, String body, String key, String... headers) throws Exception {
        return http.send(request(path, body, key, headers), HttpResponse.BodyHandlers.ofString());
    }

    CompletableFuture<HttpResponse<String>> postAsync(String path, String body, String... headers) {
        return http.sendAsync(request(path, body, KEY, headers), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode admin(String pathAndQuery) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url() + pathAndQuery))
                .header("authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) throw new AssertionError(pathAndQuery + " → " + response.body());
        return Json.parse(io.vertx.core.buffer.Buffer.buffer(response.body()));
    }

    long upstreamCalls() {
        return sandbox.requestsReceived();
    }

    @Override
    public void close() {
        gateway.close();
        ledger.close();
        vertx.close().await();
    }
}
