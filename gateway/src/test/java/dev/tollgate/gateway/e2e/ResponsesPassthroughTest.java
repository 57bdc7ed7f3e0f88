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

/** The OpenAI SDK's Responses client through the gateway to an OpenAI-format provider: relayed, metered, priced. */
class ResponsesPassthroughTest extends EndToEnd {

    /** gpt-4o-mini, USD per million tokens. */
    static final BigDecimal INPUT = new BigDecimal("0.15");
    static final BigDecimal CACHED = new BigDecimal("0.075");
    static final BigDecimal OUTPUT = new BigDecimal("0.60");

    static BigDecimal cost(long input, long cached, long output) {
        return BigDecimal.valueOf(input - cached).multiply(INPUT).add(BigDecimal.valueOf(cached).multiply(CACHED))
                .add(BigDecimal.valueOf(output).multiply(OUTPUT)).movePointLeft(6);
    }

    @Test
    void aResponseIsRelayedAndPricedFromItsUsage() {
        HttpResponseFor<Response> raw = openai.responses().withRawResponse().create(ResponseCreateParams.builder()
                .model("gpt-4o-mini").instructions("Be brief.").input("What is a token?").maxOutputTokens(20).build());
        Response response = raw.parse();
        StringBuilder text = new StringBuilder();
        response.output().forEach(item -> item.message().ifPresent(m -> m.content().forEach(
                c -> c.outputText().ifPresent(t -> text.append(t.text())))));
        assertThat(text.toString()).isNotBlank();
        ResponseUsage usage = response.usage().orElseThrow();
        assertThat(usage.outputTokens()).isBetween(1L, 20L);
        assertThat(new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0)))
                .isEqualByComparingTo(cost(usage.inputTokens(), usage.inputTokensDetails().cachedTokens(), usage.outputTokens()));
    }

    @Test
    void aStreamIsRelayedEventByEventAndMeteredFromItsLastEvent() throws Exception {
        List<ResponseStreamEvent> events = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = openai.responses().createStreaming(ResponseCreateParams.builder()
                .model("gpt-4o-mini").input("Stream a few words").maxOutputTokens(9).build())) {
            stream.stream().forEach(events::add);
        }
        StringBuilder text = new StringBuilder();
        events.forEach(e -> e.outputTextDelta().ifPresent(d -> text.append(d.delta())));
        assertThat(text.toString()).isNotBlank();
        // the cap is below what the model would write: OpenAI ends such a stream with response.incomplete
        Response completed = events.get(events.size() - 1).incomplete().orElseThrow().response();
        assertThat(completed.incompleteDetails().orElseThrow().reason().orElseThrow().asString()).isEqualTo("max_output_tokens");
        ResponseUsage usage = completed.usage().orElseThrow();
        assertThat(usage.outputTokens()).isEqualTo(9);

        JsonNode row = bed.admin("/admin/requests?limit=1").path("requests").get(0);
        assertThat(row.path("api").asText()).isEqualTo("openai.responses");
        assertThat(row.path("stream").asBoolean()).isTrue();
        assertThat(row.path("estimated").asBoolean()).isFalse();
        assertThat(row.path("input_tokens").asLong()).isEqualTo(usage.inputTokens());
        assertThat(row.path("cost_usd").decimalValue())
                .isEqualByComparingTo(cost(usage.inputTokens(), usage.inputTokensDetails().cachedTokens(), 9));
    }

    @Test
    void aFunctionToolRoundTripPassesThroughUntouched() throws Exception {
        String tool = "{\"type\":\"function\",\"name\":\"get_price\",\"description\":\"Price of a model\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"model\":{\"type\":\"string\"}},\"required\":[\"model\"]}}";
        HttpResponse<String> first = bed.post("/v1/responses", "{\"model\":\"gpt-4o-mini\",\"input\":\"What does gpt-4o cost?\","
                + "\"tools\":[" + tool + "]}", "authorization", "Bearer " + TestBed.KEY);
        assertThat(first.statusCode()).isEqualTo(200);
        JsonNode call = null;
        for (JsonNode item : Json.parse(first.body()).path("output")) if (item.path("type").asText().equals("function_call")) call = item;
        assertThat(call).isNotNull();
        assertThat(call.path("name").asText()).isEqualTo("get_price");
        assertThat(Json.parse(call.path("arguments").asText()).has("model")).isTrue();

        String input = "[{\"role\":\"user\",\"content\":\"What does gpt-4o cost?\"}," + Json.text(call)
                + ",{\"type\":\"function_call_output\",\"call_id\":\"" + call.path("call_id").asText() + "\",\"output\":\"$2.50 per million input tokens\"}]";
        HttpResponse<String> second = bed.post("/v1/responses", "{\"model\":\"gpt-4o-mini\",\"max_output_tokens\":12,\"input\":"
                + input + ",\"tools\":[" + tool + "]}", "authorization", "Bearer " + TestBed.KEY);
        JsonNode answer = Json.parse(second.body());
        assertThat(answer.path("output").get(0).path("type").asText()).isEqualTo("message");
        JsonNode usage = answer.path("usage");
        assertThat(new BigDecimal(second.headers().firstValue("x-tollgate-cost-usd").orElseThrow())).isEqualByComparingTo(
                cost(usage.path("input_tokens").asLong(), usage.path("input_tokens_details").path("cached_tokens").asLong(),
                        usage.path("output_tokens").asLong()));
    }
}
