package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The routes besides chat and messages: legacy completions, the model list, health, and a stream's cost comment. */
class RoutesTest extends EndToEnd {

    static final BigDecimal MILLION = new BigDecimal(1_000_000);

    @Test
    void legacyCompletionsAreRelayedAndPriced() throws Exception {
        var raw = openai.completions().withRawResponse().create(CompletionCreateParams.builder()
                .model("gpt-4o-mini").prompt("Once upon a time").maxTokens(6).build());
        Completion completion = raw.parse();
        assertThat(completion.choices().get(0).text()).isNotBlank();
        var usage = completion.usage().orElseThrow();
        assertThat(usage.completionTokens()).isEqualTo(6);
        // gpt-4o-mini: $0.15 in, $0.60 out per million tokens
        BigDecimal expected = BigDecimal.valueOf(usage.promptTokens()).multiply(new BigDecimal("0.15"))
                .add(BigDecimal.valueOf(6).multiply(new BigDecimal("0.60"))).divide(MILLION);
        assertThat(new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0))).isEqualByComparingTo(expected);
        JsonNode row = bed.admin("/admin/requests?limit=1").path("requests").get(0);
        assertThat(row.path("api").asText()).isEqualTo("openai.completions");
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(expected);
    }

    @Test
    void modelListCarriesTheConfiguredModelsWithPrices() throws Exception {
        List<Model> models = openai.models().list().data();
        assertThat(models).extracting(Model::id).contains("gpt-4o-mini", "fast", "claude-haiku-4-5", "text-embedding-3-small");

        HttpResponse<String> openAi = get("/v1/models", "authorization", "Bearer " + TestBed.KEY);
        JsonNode mini = find(Json.parse(openAi.body()).path("data"), "id", "gpt-4o-mini");
        assertThat(mini.path("object").asText()).isEqualTo("model");
        assertThat(mini.path("tollgate").path("price").path("input").decimalValue()).isEqualByComparingTo("0.15");
        assertThat(mini.path("tollgate").path("price").path("output").decimalValue()).isEqualByComparingTo("0.60");

        HttpResponse<String> anthropic = get("/v1/models", "x-api-key", TestBed.KEY, "anthropic-version", "2023-06-01");
        JsonNode body = Json.parse(anthropic.body());
        assertThat(body.path("has_more").asBoolean(true)).isFalse();
        JsonNode haiku = find(body.path("data"), "id", "claude-haiku-4-5");
        assertThat(haiku.path("type").asText()).isEqualTo("model");
        assertThat(haiku.path("tollgate").path("price").path("output").decimalValue()).isEqualByComparingTo("5");

        assertThat(get("/v1/models").statusCode()).isEqualTo(401);
    }

    @Test
    void theProvidersRequestIdComesBackOnCompleteAnswersAndStreams() throws Exception {
        String body = "{\"model\":\"%s\",\"max_tokens\":3,\"stream\":%s,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        for (boolean stream : new boolean[] {false, true}) {
            HttpResponse<String> openAi = bed.post("/v1/chat/completions", body.formatted("gpt-4o-mini", stream),
                    "authorization", "Bearer " + TestBed.KEY);
            assertThat(openAi.headers().firstValue("x-request-id")).as("stream=" + stream).isPresent();
            HttpResponse<String> claude = bed.post("/v1/messages", body.formatted("claude-haiku-4-5", stream),
                    "x-api-key", TestBed.KEY);
            assertThat(claude.headers().firstValue("request-id")).as("stream=" + stream).isPresent();
        }
    }

    @Test
    void healthAnswersWithoutAKey() throws Exception {
        HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(Json.parse(health.body()).path("status").asText()).isEqualTo("ok");
    }

    @Test
    void aStreamEndsWithItsCostAsAnSseCommentMatchingTheLedger() throws Exception {
        HttpResponse<String> response = bed.post("/v1/chat/completions",
                "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"count to five\"}]}",
                "authorization", "Bearer " + TestBed.KEY);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type").orElseThrow()).startsWith("text/event-stream");
        assertThat(response.body()).contains("data: [DONE]").doesNotContain("\"usage\":{");
        Matcher comment = Pattern.compile(": x-tollgate-cost-usd=([0-9.]+)\n").matcher(response.body());
        assertThat(comment.find()).isTrue();
        String requestId = response.headers().firstValue("x-tollgate-request-id").orElseThrow();
        JsonNode row = null;
        for (JsonNode r : bed.admin("/admin/requests?limit=20").path("requests")) {
            if (r.path("request_id").asText().equals(requestId)) row = r;
        }
        assertThat(row).isNotNull();
        assertThat(row.path("stream").asBoolean()).isTrue();
        assertThat(row.path("output_tokens").asLong()).isEqualTo(5);
        BigDecimal expected = BigDecimal.valueOf(row.path("input_tokens").asLong()).multiply(new BigDecimal("0.15"))
                .add(BigDecimal.valueOf(5).multiply(new BigDecimal("0.60"))).divide(MILLION);
        assertThat(new BigDecimal(comment.group(1))).isEqualByComparingTo(expected);
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(expected);
        assertThat(row.path("ttft_ms").asDouble()).isPositive();
    }

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(bed.url() + path));
        for (int i = 0; i < headers.length; i += 2) request.header(headers[i], headers[i + 1]);
        return bed.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) if (n.path(field).asText().equals(value)) return n;
        throw new AssertionError("no entry with " + field + "=" + value + " in " + array);
    }
}
