package dev.tollgate.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A sandbox provider and a gateway in front of it configured by the test's own YAML or by one of the shipped
 * {@code examples/*.yaml}, with a DuckDB ledger in {@code data}: for tests whose config is theirs (routes, tiers,
 * shadows) rather than {@link TestBed}'s fixed one.
 */
public final class SandboxGateway implements AutoCloseable {

    /** The admin token the tests' configs set ({@code admin: {token: admin}}). */
    public static final String ADMIN = "admin";

    public final Vertx vertx = TestTransport.choice().vertx(new VertxOptions());
    public final SandboxServer sandbox;
    public final DuckDbLedger ledger;
    public final GatewayServices services;
    public final Gateway gateway;
    public final HttpClient http = HttpClient.newHttpClient();

    /**
     * {@code yaml} is given the sandbox's address ({@code http://127.0.0.1:PORT}: its OpenAI base URL is that plus
     * {@code /v1}) and returns the config.
     */
    public SandboxGateway(Path data, UnaryOperator<String> yaml) throws Exception {
        this(data, yaml, UnaryOperator.identity());
    }

    /** The same, with {@code services} adding to what the config makes (e.g. admin routes of another module). */
    public SandboxGateway(Path data, UnaryOperator<String> yaml, UnaryOperator<GatewayServices> services) throws Exception {
        sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
        ledger = DuckDbLedger.open(data);
        this.services = services.apply(GatewayServices.of(new ConfigLoader(Map.<String, String>of()::get)
                .parse(yaml.apply("http://127.0.0.1:" + sandbox.port())), PriceCatalog.bundled(), ledger));
        gateway = Gateway.start(vertx, this.services, 0, 1).await();
    }

    /**
     * A gateway started from {@code examples/EXAMPLE} (e.g. "routes-sandbox.yaml"), as the README's walk-throughs start
     * it, with the sandbox on a free port in place of the example's {@code 127.0.0.1:9000}.
     */
    public static SandboxGateway example(String example, Path data) throws Exception {
        String yaml = Files.readString(Path.of("../examples", example));
        return new SandboxGateway(data, sandbox -> yaml.replace("http://127.0.0.1:9000", sandbox));
    }

    public String url() {
        return gateway.baseUrl();
    }

    /** The JSON an admin GET answers, e.g. {@code /admin/requests?limit=500}. */
    public JsonNode admin(String pathAndQuery) throws Exception {
        return Json.parse(http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + pathAndQuery))
                .header("authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    /** A POST of a JSON body to {@code path} ({@code headers}: name, value, …), as a client sends it. */
    public HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) request.header(headers[i], headers[i + 1]);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** What {@code /metrics} shows now. */
    public String metrics() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Override
    public void close() {
        gateway.close();
        services.observability().close();
        ledger.close();
        vertx.close().await();
    }
}
