package dev.tollgate.gateway.route;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.SandboxGateway;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's "Routes and fallbacks" walk-through, on examples/routes-sandbox.yaml with the sandbox on a free port. */
class RoutesExampleTest {

    @Test
    void theExampleFallsBackTwiceAndClaudeServes(@TempDir Path data) throws Exception {
        try (SandboxGateway bed = SandboxGateway.example("routes-sandbox.yaml", data)) {
            Gateway gateway = bed.gateway;
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
        }
    }
}
