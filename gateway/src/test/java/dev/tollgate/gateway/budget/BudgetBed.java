package dev.tollgate.gateway.budget;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestTransport;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.duckdb.LedgerOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A sandbox provider and a gateway with spend controls in front of it: the sandbox reached as itself ("sandbox",
 * "sandbox-anthropic"), under a production-looking name ("openai") and answering slowly ("slow-model", 700 ms), keys for a team, a sandbox learner and a
 * runaway script; "wordy-*" models whose provider writes 5,000 tokens unless capped, an unpriced model
 * ("my-llama-70b") and the same marked free ("free-llama"). {@code controls} is the body of the {@code spend_controls:} section.
 */
final class BudgetBed implements AutoCloseable {

    static final String TEAM_KEY = "tg-team-key";
    static final String LEARNER_KEY = "tg-learner-key";
    static final String LOOP_KEY = "tg-loop-key";
    static final String ADMIN = "admin-secret";

    final Vertx vertx;
    final SandboxServer sandbox;
    final DuckDbLedger ledger;
    final Gateway gateway;
    final GatewayServices services;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** The gateway's clock: it ticks from {@link #START}, so periods, resets and retry-after are known whatever today is. */
    final Clock clock = Clock.offset(Clock.systemUTC(), Duration.between(Instant.now(), START));
    static final Instant START = Instant.parse("2026-11-10T12:00:00Z");

    BudgetBed(Path dataDir, String controls) throws Exception {
        this(dataDir, controls, "", LedgerOptions.DEFAULTS);
    }

    /** As {@link #BudgetBed(Path, String)}, with {@code sections} (top-level YAML, such as {@code ledger:}) added. */
    BudgetBed(Path dataDir, String controls, String sections) throws Exception {
        this(dataDir, controls, sections, LedgerOptions.DEFAULTS);
    }

    /** As above, the ledger opened with {@code ledgerOptions} (its free-space threshold, for instance). */
    BudgetBed(Path dataDir, String controls, LedgerOptions ledgerOptions) throws Exception {
        this(dataDir, controls, "", ledgerOptions);
    }

    private BudgetBed(Path dataDir, String controls, String sections, LedgerOptions ledgerOptions) throws Exception {
        vertx = TestTransport.choice().vertx(new VertxOptions().setEventLoopPoolSize(2));
        sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
        String s = "http://127.0.0.1:" + sandbox.port();
        String yaml = """
                admin:
                  token: %s
                providers:
                  sandbox: {type: openai, base_url: "%s/v1"}
                  sandbox-anthropic: {type: anthropic, base_url: "%s"}
                  openai: {type: openai, base_url: "%s/v1"}
                  broken: {type: openai, base_url: "%s/v1", headers: {x-sandbox-fault: "500"}}
                  cutting: {type: openai, base_url: "%s/v1", headers: {x-sandbox-fault: "cut"}}
                  slow: {type: openai, base_url: "%s/v1", headers: {x-sandbox-latency-ms: "700"}}
                  wordy: {type: openai, base_url: "%s/v1", headers: {x-sandbox-output-tokens: "5000"}}
                  wordy-anthropic: {type: anthropic, base_url: "%s", headers: {x-sandbox-output-tokens: "5000"}}
                models:
                  - {name: gpt-4o-mini, provider: sandbox}
                  - {name: gpt-4o, provider: sandbox}
                  - {name: claude-haiku-4-5, provider: sandbox-anthropic}
                  - {name: prod-gpt-4o-mini, provider: openai, model: gpt-4o-mini}
                  - {name: broken-model, provider: broken, model: gpt-4o-mini}
                  - {name: cutting-model, provider: cutting, model: gpt-4o-mini}
                  - {name: slow-model, provider: slow, model: gpt-4o-mini}
                  - {name: wordy-mini, provider: wordy, model: gpt-4o-mini}
                  - {name: wordy-o3, provider: wordy, model: o3-mini}
                  - {name: wordy-haiku, provider: wordy-anthropic, model: claude-haiku-4-5}
                  - {name: my-llama-70b, provider: sandbox}
                  - {name: free-llama, provider: sandbox, model: my-llama-70b, free: true}
                keys:
                  - {key: %s, name: team-key, tags: {team: search}}
                  - {key: %s, name: learner}
                  - {key: %s, name: loop}
                %s
                spend_controls:
                %s
                """.formatted(ADMIN, s, s, s, s, s, s, s, s, TEAM_KEY, LEARNER_KEY, LOOP_KEY, sections, controls.indent(2));
        GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse(yaml);
        ledger = DuckDbLedger.open(dataDir, ledgerOptions);
        services = GatewayServices.of(config, PriceCatalog.bundled(), ledger, null, clock);
        gateway = Gateway.start(vertx, services, 0, 2).await();
    }

    String url() {
        return gateway.baseUrl();
    }

    HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        return http.send(request(path, body, headers), HttpResponse.BodyHandlers.ofString());
    }

    HttpRequest request(String path, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) request.header(headers[i], headers[i + 1]);
        return request.build();
    }

    /** An admin call: method, path, optional JSON body; returns the response. */
    HttpResponse<String> admin(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url() + path)).header("authorization", "Bearer " + ADMIN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode adminJson(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = admin("GET", path, null);
        if (r.statusCode() != 200) throw new AssertionError(path + " → " + r.statusCode() + " " + r.body());
        return Json.parse(r.body());
    }

    @Override
    public void close() {
        gateway.close();
        services.budgets().close();
        ledger.close();
        vertx.close().await();
    }
}
