package dev.tollgate.gateway.budget;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;

import static dev.tollgate.gateway.budget.BudgetsTest.CHAT;
import static dev.tollgate.gateway.budget.BudgetsTest.customer;
import static org.assertj.core.api.Assertions.assertThat;

/** What a request gets when the shared counters' Redis does not answer: refused (closed, the default) or let through (open). */
class RedisDownTest {

    /** Nothing listens on port 1. */
    static final String CONTROLS = """
            redis: {url: "redis://127.0.0.1:1", timeout_ms: 300%s}
            budgets:
              - {name: team, scope: "team:search", period: monthly, limit_usd: "100"}
            runaway: {enabled: false}
            anomaly: {enabled: false}
            """;

    @Test
    void failClosedRefusesWith503InTheClientsWireFormat(@TempDir Path data) throws Exception {
        try (BudgetBed bed = new BudgetBed(data, CONTROLS.formatted(""))) {
            HttpResponse<String> openai = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("any"));
            assertThat(openai.statusCode()).isEqualTo(503);
            assertThat(openai.headers().firstValue("retry-after").orElseThrow()).isEqualTo("1");
            JsonNode error = Json.parse(openai.body()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("spend_controls_unavailable");
            assertThat(error.path("message").asText()).contains("Redis").contains("not sent");

            String body = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            HttpResponse<String> anthropic = bed.post("/v1/messages", body, "x-api-key", BudgetBed.TEAM_KEY, "anthropic-version", "2023-06-01");
            assertThat(anthropic.statusCode()).isEqualTo(503);
            JsonNode json = Json.parse(anthropic.body());
            assertThat(json.path("type").asText()).isEqualTo("error");
            assertThat(json.path("error").path("type").asText()).isEqualTo("overloaded_error");
            // nothing reached the provider, so nothing was metered
            assertThat(bed.adminJson("/admin/spend").path("total").path("requests").asLong()).isZero();
        }
    }

    @Test
    void failOpenLetsRequestsThroughUncounted(@TempDir Path data) throws Exception {
        try (BudgetBed bed = new BudgetBed(data, CONTROLS.formatted(", on_failure: open"))) {
            HttpResponse<String> r = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("any"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
    }
}
