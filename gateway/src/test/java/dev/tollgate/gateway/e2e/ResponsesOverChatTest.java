package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ResponseUsage;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAI SDK's Responses client to a provider configured with {@code responses: chat}: the gateway calls its
 * Chat Completions route and answers in the Responses format, priced from the chat usage (gpt-4o-mini's rates).
 */
class ResponsesOverChatTest extends EndToEnd {

    static BigDecimal miniCost(long input, long output) {
        return BigDecimal.valueOf(input).multiply(new BigDecimal("0.15"))
                .add(BigDecimal.valueOf(output).multiply(new BigDecimal("0.60"))).movePointLeft(6);
    }

    @Test
    void aResponseComesFromTheChatRouteAndIsPriced() {
        HttpResponseFor<Response> raw = openai.responses().withRawResponse().create(ResponseCreateParams.builder()
                .model("chat-only-model").instructions("Be brief").input("What is a token?").maxOutputTokens(15).build());
        Response response = raw.parse().validate();
        assertThat(response.id()).contains("chatcmpl"); // the provider's chat completion id, carried through
        String text = response.output().get(0).message().orElseThrow().content().get(0).outputText().orElseThrow().text();
        assertThat(text).isNotBlank();
        ResponseUsage usage = response.usage().orElseThrow();
        assertThat(usage.outputTokens()).isEqualTo(15);
        assertThat(new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0)))
                .isEqualByComparingTo(miniCost(usage.inputTokens(), 15));
    }

    @Test
    void aStreamBecomesTypedResponseEventsAndIsMetered() throws Exception {
        List<ResponseStreamEvent> events = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = openai.responses().createStreaming(ResponseCreateParams.builder()
                .model("chat-only-model").input("Stream a little").maxOutputTokens(8).build())) {
            stream.stream().forEach(events::add);
        }
        events.forEach(ResponseStreamEvent::validate);
        StringBuilder text = new StringBuilder();
        events.forEach(e -> e.outputTextDelta().ifPresent(d -> text.append(d.delta())));
        assertThat(text.toString()).isNotBlank();
        Response last = events.get(events.size() - 1).incomplete().orElseThrow().response();
        assertThat(last.usage().orElseThrow().outputTokens()).isEqualTo(8);

        JsonNode row = bed.admin("/admin/requests?limit=1").path("requests").get(0);
        assertThat(row.path("api").asText()).isEqualTo("openai.responses");
        assertThat(row.path("estimated").asBoolean()).isFalse();
        assertThat(row.path("output_tokens").asLong()).isEqualTo(8);
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(miniCost(row.path("input_tokens").asLong(), 8));
    }

    @Test
    void aFunctionCallComesBackAsAResponsesItem() throws Exception {
        HttpResponse<String> raw = bed.post("/v1/responses", """
                {"model":"chat-only-model","input":"Price of gpt-4o?","tools":[{"type":"function","name":"get_price",
                 "parameters":{"type":"object","properties":{"model":{"type":"string"}},"required":["model"]}}]}
                """, "authorization", "Bearer " + TestBed.KEY);
        assertThat(raw.statusCode()).isEqualTo(200);
        JsonNode call = Json.parse(raw.body()).path("output").get(0);
        assertThat(call.path("type").asText()).isEqualTo("function_call");
        assertThat(call.path("name").asText()).isEqualTo("get_price");
        assertThat(Json.parse(call.path("arguments").asText()).has("model")).isTrue();
    }
}
