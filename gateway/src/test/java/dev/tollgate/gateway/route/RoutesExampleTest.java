package dev.tollgate.gateway.route;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's "Routes and fallbacks" walk-through, on examples/routes-sandbox.yaml with the sandbox on a free port. */
class RoutesExampleTest {

    @Test
    void theExampleFallsBackTwiceAndClaudeServes(@TempDir Path data) throws Exception {
        Vertx vertx = Vertx.vertx();
        SandboxServer sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
        String yaml = Files.readString(Path.of("../examples/routes-sandbox.yaml")).replace("127.0.0.1:9000", "127.0.0.1:" + sandbox.port());
        try (DuckDbLedger ledger = DuckDbLedger.open(data)) {
            GatewayServices services = GatewayServices.of(new ConfigLoader(Map.<String, String>of()::get).parse(yaml),
                    PriceCatalog.bundled(), ledger);
            Gateway gateway = Gateway.start(vertx, services, 0, 1).await();
            try {
                HttpClient http = HttpClient.newHttpClient();
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4o-mini\",\"stream\":true,\"max_tokens\":8,"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.headers().firstValue("x-tollgate-deployment")).hasValue("anthropic/claude-haiku-4-5");
                assertThat(response.body()).endsWith("data: [DONE]\n\n");

                String id = response.headers().firstValue("x-tollgate-request-id").orElseThrow();
                JsonNode all = Json.parse(http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/admin/requests?limit=3"))
                        .header("authorization", "Bearer routes-demo").build(), HttpResponse.BodyHandlers.ofString()).body());
                List<JsonNode> rows = new ArrayList<>();
                all.path("requests").forEach(r -> { if (r.path("request_id").asText().equals(id)) rows.add(r); });
                rows.sort(java.util.Comparator.comparingInt(r -> r.path("attempt").asInt()));
                assertThat(rows).extracting(r -> r.path("provider").asText()).containsExactly("openai-east", "openai-west", "anthropic");
                assertThat(rows).extracting(r -> r.path("attempt_reason").asText(null)).containsExactly("rate_limited", "stream_error", null);
                assertThat(rows).extracting(r -> r.path("status").asInt()).containsExactly(429, 500, 200);
                assertThat(rows.get(2).path("served_model").asText()).startsWith("claude-haiku-4-5");
                assertThat(rows.get(2).path("cost_usd").decimalValue()).isPositive();
            } finally {
                gateway.close();
                services.observability().close();
            }
        } finally {
            vertx.close().await();
        }
    }
}
