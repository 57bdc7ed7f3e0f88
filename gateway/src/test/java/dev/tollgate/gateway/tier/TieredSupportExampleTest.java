package dev.tollgate.gateway.tier;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.SandboxGateway;
import dev.tollgate.gateway.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's "Tiers and cascades" walk-through, on examples/tiered-support.yaml with the sandbox on a free port. */
class TieredSupportExampleTest {

    static final String SCHEMA = "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"reply\",\"schema\":{\"type\":\"object\","
            + "\"properties\":{\"answer\":{\"type\":\"string\"},\"category\":{\"enum\":[\"billing\",\"shipping\",\"account\"]}},"
            + "\"required\":[\"answer\",\"category\"]}}}";

    private HttpClient http;
    private String base;

    @Test
    void theWalkThrough(@TempDir Path data) throws Exception {
        try (SandboxGateway bed = SandboxGateway.example("tiered-support.yaml", data)) {
            http = HttpClient.newHttpClient();
            base = bed.url();
            // clients can find the tiered name among the models
            JsonNode models = admin("/v1/models");
            JsonNode listed = null;
            for (JsonNode m : models.path("data")) if (m.path("id").asText().equals("support-assistant")) listed = m;
            assertThat(listed).isNotNull();
            assertThat(listed.path("tollgate").path("tiers").findValuesAsText("name")).containsExactly("small", "mid", "flagship");

            // an FAQ the small model answers right: it stands
            HttpResponse<String> canada = ask("{\"model\":\"support-assistant\",\"messages\":[{\"role\":\"user\",\"content\":"
                    + "\"Do you ship to Canada?\"}],\"response_format\":" + SCHEMA + "}", "feature=faq");
            assertThat(canada.headers().firstValue("x-tollgate-tier")).hasValue("small");
            assertThat(rows(canada)).extracting(r -> r.path("provider").asText()).containsExactly("sandbox-small");

            // an FAQ the small model gets wrong (JSON the schema rejects): the mid model answers
            HttpResponse<String> password = ask("{\"model\":\"support-assistant\",\"messages\":[{\"role\":\"user\",\"content\":"
                    + "\"How do I reset my password?\"}],\"response_format\":" + SCHEMA + "}", "feature=faq");
            assertThat(password.headers().firstValue("x-tollgate-tier")).hasValue("mid");
            List<JsonNode> escalated = rows(password);
            assertThat(escalated).extracting(r -> r.path("tags").path("tier").asText()).containsExactly("small", "mid");
            assertThat(escalated).extracting(r -> r.path("attempt_reason").asText(null)).containsExactly("escalated", null);
            assertThat(Json.tree(Json.tree(password.body()).path("choices").path(0).path("message").path("content").asText())
                    .path("category").asText()).isIn("billing", "shipping", "account");

            // tools: the flagship
            HttpResponse<String> tools = ask("{\"model\":\"support-assistant\",\"messages\":[{\"role\":\"user\",\"content\":"
                    + "\"Where is order 4711?\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup_order\","
                    + "\"parameters\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}}}}}]}", null);
            assertThat(tools.headers().firstValue("x-tollgate-tier")).hasValue("flagship");

            // neither short nor tagged: the mid model
            HttpResponse<String> longer = ask("{\"model\":\"support-assistant\",\"messages\":[{\"role\":\"user\",\"content\":"
                    + "\"My parcel was due last Tuesday and the tracking page has said in transit for six days now. I have emailed"
                    + " twice and nobody answered. What can you do, and can I get the shipping fee back?\"}]}", null);
            assertThat(longer.headers().firstValue("x-tollgate-tier")).hasValue("mid");

            // spend and savings by tier: the admin API's breakdown agrees with the rows
            Map<String, BigDecimal[]> expected = new HashMap<>();
            for (HttpResponse<String> r : List.of(canada, password, tools, longer)) {
                for (JsonNode row : rows(r)) {
                    BigDecimal[] sums = expected.computeIfAbsent(row.path("tags").path("tier").asText(), k -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO});
                    sums[0] = sums[0].add(row.path("cost_usd").decimalValue());
                    sums[1] = sums[1].add(row.path("saved_usd").decimalValue());
                }
            }
            assertThat(expected.keySet()).containsExactlyInAnyOrder("small", "mid", "flagship");
            assertThat(expected.get("small")[1]).isNotZero(); // the FAQ it answered saved, the one it missed cost
            assertThat(expected.get("flagship")[1]).isZero();  // the flagship is the baseline
            JsonNode spend = admin("/admin/spend?group_by=tier&requested_model=support-assistant");
            // four client requests; the password question's escalation makes five calls
            int calls = 0;
            for (HttpResponse<String> r : List.of(canada, password, tools, longer)) calls += rows(r).size();
            assertThat(spend.path("total").path("requests").asInt()).isEqualTo(4);
            assertThat(spend.path("total").path("attempts").asInt()).isEqualTo(calls).isEqualTo(5);
            for (JsonNode row : spend.path("rows")) {
                BigDecimal[] sums = expected.get(row.path("tier").asText());
                assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(sums[0]);
                assertThat(row.path("saved_usd").decimalValue()).isEqualByComparingTo(sums[1]);
            }
        }
    }

    private HttpResponse<String> ask(String body, String tags) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (tags != null) request.header("x-tollgate-tags", tags);
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response;
    }

    private JsonNode admin(String path) throws Exception {
        return Json.parse(http.send(HttpRequest.newBuilder(URI.create(base + path)).header("authorization", "Bearer tiers-demo").build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private List<JsonNode> rows(HttpResponse<String> response) throws Exception {
        String id = response.headers().firstValue("x-tollgate-request-id").orElseThrow();
        List<JsonNode> out = new ArrayList<>();
        admin("/admin/requests?limit=50").path("requests").forEach(r -> { if (r.path("request_id").asText().equals(id)) out.add(r); });
        out.sort(Comparator.comparingInt(r -> r.path("attempt").asInt(0)));
        return out;
    }
}
