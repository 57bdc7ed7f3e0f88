package dev.tollgate.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.admin.AdminRoute;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.http.NetworkTransport;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A sandbox provider and a gateway in front of it, on free ports, with a DuckDB ledger in a temporary directory.
 * The config names the sandbox twice (OpenAI and Anthropic dialects) plus providers whose extra headers ask the
 * sandbox for faults.
 */
public final class TestBed implements AutoCloseable {

    public static final String KEY = "tg-test-key";
    public static final String OTHER_KEY = "tg-other-key";
    public static final String ADMIN = "admin-secret";

    public final Vertx vertx;
    public final SandboxServer sandbox;
    public final DuckDbLedger ledger;
    public final Gateway gateway;
    public final GatewayServices services;
    public final HttpClient http = HttpClient.newHttpClient();
    /** What DuckDB throws when the disk under its write-ahead log is full. */
    public static final String DISK_FULL = "IO Error: Could not write file \"ledger.duckdb.wal\": No space left on device";
    /** While true, every ledger commit fails as on a full disk. */
    public final java.util.concurrent.atomic.AtomicBoolean diskFull = new java.util.concurrent.atomic.AtomicBoolean();

    public TestBed(Path dataDir) throws Exception {
        this(dataDir, "");
    }

    public TestBed(Path dataDir, String extraServerYaml) throws Exception {
        this(dataDir, extraServerYaml, null);
    }

    /** {@code extraYaml} is added at the top level of the config; {@code spanExporter} receives every span. */
    public TestBed(Path dataDir, String extraServerYaml, SpanExporter spanExporter) throws Exception {
        this(dataDir, extraServerYaml, spanExporter, List.of());
    }

    /** As above, with admin routes added as {@code serve} adds the planner's. */
    public TestBed(Path dataDir, String extraServerYaml, SpanExporter spanExporter, List<AdminRoute> adminRoutes) throws Exception {
        this(dataDir, extraServerYaml, spanExporter, adminRoutes, TestTransport.setting());
    }

    /** As above, the gateway and the sandbox on {@code transport} (the others: {@link TestTransport}, auto unless set). */
    public TestBed(Path dataDir, String extraServerYaml, SpanExporter spanExporter, List<AdminRoute> adminRoutes,
                   NetworkTransport transport) throws Exception {
        this(dataDir, extraServerYaml, "", "", spanExporter, adminRoutes, transport);
    }

    /** With providers and models of the test's own (YAML lines, indented as the entries under them), e.g. a scripted upstream. */
    public TestBed(Path dataDir, String extraServerYaml, String extraProviders, String extraModels) throws Exception {
        this(dataDir, extraServerYaml, extraProviders, extraModels, null, List.of(), TestTransport.setting());
    }

    private TestBed(Path dataDir, String extraServerYaml, String extraProviders, String extraModels, SpanExporter spanExporter,
                    List<AdminRoute> adminRoutes, NetworkTransport transport) throws Exception {
        vertx = transport.choose().vertx(new VertxOptions().setEventLoopPoolSize(2));
        sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
        String s = "http://127.0.0.1:" + sandbox.port();
        // a key may appear once: a test that sets its own upstream timeout replaces this one
        String timeout = extraServerYaml.contains("upstream_timeout_ms:") ? "" : "upstream_timeout_ms: 3000";
        String yaml = """
                server:
                  max_body_bytes: 65536
                  reconnect_within_ms: 200
                  %s
                %s
                admin:
                  token: %s
                providers:
                  sandbox: {type: openai, base_url: "%s/v1", api_key: "sk-upstream"}
                  sandbox-anthropic: {type: anthropic, base_url: "%s", api_key: "sk-ant-upstream"}
                  broken: {type: openai, base_url: "%s/v1", headers: {x-sandbox-fault: "500"}}
                  silent: {type: openai, base_url: "%s/v1", headers: {x-sandbox-fault: "timeout"}}
                  cutting: {type: openai, base_url: "%s/v1", headers: {x-sandbox-fault: "cut"}}
                  cutting-anthropic: {type: anthropic, base_url: "%s", headers: {x-sandbox-fault: "cut"}}
                  limited: {type: openai, base_url: "%s/v1", headers: {x-sandbox-fault: "429"}}
                  slow: {type: openai, base_url: "%s/v1", headers: {x-sandbox-latency-ms: "400"}}
                  nowhere: {type: openai, base_url: "http://127.0.0.1:1/v1"}
                  chat-only: {type: openai, base_url: "%s/v1", responses: chat}
                  erroring: {type: openai, base_url: "%s/v1", headers: {x-sandbox-fault: "stream-error"}}
                  erroring-anthropic: {type: anthropic, base_url: "%s", headers: {x-sandbox-fault: "stream-error"}}
                  overloaded-anthropic: {type: anthropic, base_url: "%s", headers: {x-sandbox-fault: "529"}}
                  stalling: {type: openai, base_url: "%s/v1", headers: {x-sandbox-fault: "stall"}}
                  garbled: {type: openai, base_url: "%s/v1", headers: {x-sandbox-fault: "malformed"}}
                %s
                models:
                  - {name: gpt-4o-mini, provider: sandbox, model: gpt-4o-mini}
                  - {name: fast, provider: sandbox, model: gpt-4o-mini}
                  - {name: text-embedding-3-small, provider: sandbox}
                  - {name: claude-haiku-4-5, provider: sandbox-anthropic, model: claude-haiku-4-5}
                  - {name: broken-model, provider: broken, model: gpt-4o-mini}
                  - {name: silent-model, provider: silent, model: gpt-4o-mini}
                  - {name: cutting-model, provider: cutting, model: gpt-4o-mini}
                  - {name: cutting-claude, provider: cutting-anthropic, model: claude-haiku-4-5}
                  - {name: limited-model, provider: limited, model: gpt-4o-mini}
                  - {name: slow-model, provider: slow, model: gpt-4o-mini}
                  - {name: nowhere-model, provider: nowhere, model: gpt-4o-mini}
                  - {name: chat-only-model, provider: chat-only, model: gpt-4o-mini}
                  - {name: overloaded-claude, provider: erroring-anthropic, model: claude-haiku-4-5}
                  - {name: overloaded-claude-529, provider: overloaded-anthropic, model: claude-haiku-4-5}
                  - {name: erroring-model, provider: erroring, model: gpt-4o-mini}
                %s
                keys:
                  - {key: %s, name: search-prod, tags: {team: search, project: web, env: prod}}
                  - {key: %s, name: ads-dev, tags: {team: ads, env: dev}}
                """.formatted(timeout, extraServerYaml, ADMIN, s, s, s, s, s, s, s, s, s, s, s, s, s, s, extraProviders, extraModels, KEY, OTHER_KEY);
        GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse(yaml);
        ledger = DuckDbLedger.open(dataDir, config.ledger().store(), () -> {
            if (diskFull.get()) throw new java.sql.SQLException(DISK_FULL);
        });
        services = GatewayServices.of(config, PriceCatalog.bundled(), ledger, spanExporter).withAdminRoutes(adminRoutes);
        gateway = Gateway.start(vertx, services, 0, 2).await();
    }

    public String url() {
        return gateway.baseUrl();
    }

    /** GET on the admin API, parsed. */
    public JsonNode admin(String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url() + pathAndQuery))
                .header("authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) throw new AssertionError("admin " + pathAndQuery + " → " + response.statusCode() + " " + response.body());
        return Json.parse(response.body());
    }

    /** A raw POST, for the error cases no SDK would send. */
    public HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) request.header(headers[i], headers[i + 1]);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        gateway.close();
        services.observability().close();
        ledger.close();
        vertx.close().await();
    }
}
