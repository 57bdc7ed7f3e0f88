package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ResponseUsage;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The official OpenAI Java SDK's Responses client reaching an Anthropic model through the gateway. */
class ResponsesOverAnthropicTest extends EndToEnd {

    /** Claude Haiku 4.5's published list price, USD per million tokens. */
    static final BigDecimal HAIKU_INPUT = new BigDecimal("1");
    static final BigDecimal HAIKU_OUTPUT = new BigDecimal("5");
    static final BigDecimal MILLION = new BigDecimal(1_000_000);

    static BigDecimal haikuCost(long input, long output) {
        return BigDecimal.valueOf(input).multiply(HAIKU_INPUT).add(BigDecimal.valueOf(output).multiply(HAIKU_OUTPUT)).divide(MILLION);
    }

    @Test
    void textAnswerIsAResponseObjectPricedAsHaiku() {
        HttpResponseFor<Response> raw = openai.responses().withRawResponse().create(ResponseCreateParams.builder()
                .model("claude-haiku-4-5").instructions("Be brief").input("What is a token?").maxOutputTokens(20).build());
        Response response = raw.parse().validate();
        assertThat(response.id()).startsWith("resp_");
        assertThat(response.status()).contains(ResponseStatus.INCOMPLETE);
        assertThat(response.incompleteDetails().orElseThrow().reason().orElseThrow().asString()).isEqualTo("max_output_tokens");
        String text = response.output().get(0).message().orElseThrow().content().get(0).outputText().orElseThrow().text();
        assertThat(text).isNotBlank();
        ResponseUsage usage = response.usage().orElseThrow();
        assertThat(usage.outputTokens()).isEqualTo(20);
        assertThat(usage.inputTokens()).isPositive();
        assertThat(usage.totalTokens()).isEqualTo(usage.inputTokens() + 20);
        assertThat(new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0)))
                .isEqualByComparingTo(haikuCost(usage.inputTokens(), usage.outputTokens()));
    }

    @Test
    void streamedAnswerIsTypedEventsEndingWithUsage() throws Exception {
        List<ResponseStreamEvent> events = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = openai.responses().createStreaming(ResponseCreateParams.builder()
                .model("claude-haiku-4-5").input("Stream a little").maxOutputTokens(12).build())) {
            stream.stream().forEach(events::add);
        }
        events.forEach(ResponseStreamEvent::validate);
        assertThat(events.get(0).isCreated()).isTrue();
        StringBuilder text = new StringBuilder();
        events.forEach(e -> e.outputTextDelta().ifPresent(d -> text.append(d.delta())));
        assertThat(text.toString()).isNotBlank();
        ResponseStreamEvent last = events.get(events.size() - 1);
        assertThat(last.isIncomplete()).isTrue();
        Response response = last.incomplete().orElseThrow().response();
        assertThat(response.output().get(0).message().orElseThrow().content().get(0).outputText().orElseThrow().text())
                .isEqualTo(text.toString());
        assertThat(response.usage().orElseThrow().outputTokens()).isEqualTo(12);

        JsonNode row = latest(true);
        assertThat(row.path("output_tokens").asLong()).isEqualTo(12);
        assertThat(row.path("estimated").asBoolean()).isFalse();
        assertThat(row.path("input_tokens").asLong()).isEqualTo(response.usage().orElseThrow().inputTokens());
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(haikuCost(row.path("input_tokens").asLong(), 12));
    }

    @Test
    void functionCallRoundTrip() {
        FunctionTool tool = FunctionTool.builder().name("get_price").description("Price of a model").strict(false)
                .parameters(FunctionTool.Parameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("model", Map.of("type", "string"))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("model")))
                        .build())
                .build();
        ResponseInputItem question = ResponseInputItem.ofEasyInputMessage(com.openai.models.responses.EasyInputMessage.builder()
                .role(com.openai.models.responses.EasyInputMessage.Role.USER).content("What does gpt-4o cost?").build());
        Response first = openai.responses().create(ResponseCreateParams.builder().model("claude-haiku-4-5")
                .input(ResponseCreateParams.Input.ofResponse(List.of(question))).addTool(tool).maxOutputTokens(50).build()).validate();
        ResponseFunctionToolCall call = first.output().stream().map(ResponseOutputItem::functionCall)
                .flatMap(java.util.Optional::stream).findFirst().orElseThrow();
        assertThat(call.name()).isEqualTo("get_price");
        assertThat(call.callId()).isNotBlank();
        assertThat(Json.tree(call.arguments()).has("model")).isTrue();

        Response second = openai.responses().create(ResponseCreateParams.builder().model("claude-haiku-4-5")
                .input(ResponseCreateParams.Input.ofResponse(List.of(question, ResponseInputItem.ofFunctionCall(call),
                        ResponseInputItem.ofFunctionCallOutput(ResponseInputItem.FunctionCallOutput.builder()
                                .callId(call.callId()).output("$2.50 per million input tokens").build()))))
                .addTool(tool).maxOutputTokens(50).build()).validate();
        assertThat(second.output()).allSatisfy(item -> assertThat(item.isMessage()).isTrue());
        assertThat(second.output().get(0).message().orElseThrow().content().get(0).outputText().orElseThrow().text()).isNotBlank();
    }

    @Test
    void streamedFunctionCallCarriesItsArguments() throws Exception {
        HttpResponse<String> raw = bed.post("/v1/responses", """
                {"model":"claude-haiku-4-5","stream":true,"input":"Price of gpt-4o?","tool_choice":"required",
                 "tools":[{"type":"function","name":"get_price","parameters":{"type":"object","properties":{"model":{"type":"string"}},"required":["model"]}}]}
                """, "authorization", "Bearer " + TestBed.KEY);
        assertThat(raw.statusCode()).isEqualTo(200);
        List<JsonNode> events = new ArrayList<>();
        for (String line : raw.body().split("\n")) {
            if (line.startsWith("data: ")) events.add(Json.parse(line.substring(6)));
        }
        for (int i = 0; i < events.size(); i++) assertThat(events.get(i).path("sequence_number").asInt()).isEqualTo(i);
        StringBuilder arguments = new StringBuilder();
        events.stream().filter(e -> e.path("type").asText().equals("response.function_call_arguments.delta"))
                .forEach(e -> arguments.append(e.path("delta").asText()));
        JsonNode done = events.get(events.size() - 1);
        assertThat(done.path("type").asText()).isEqualTo("response.completed");
        JsonNode item = done.path("response").path("output").get(0);
        assertThat(item.path("type").asText()).isEqualTo("function_call");
        assertThat(item.path("arguments").asText()).isEqualTo(arguments.toString());
        assertThat(Json.parse(arguments.toString()).has("model")).isTrue();
    }

    @Test
    void brokenStreamIsCutAndMeteredAsEstimated() throws Exception {
        HttpResponse<String> raw = bed.post("/v1/responses",
                "{\"model\":\"cutting-claude\",\"stream\":true,\"max_output_tokens\":40,\"input\":\"hi\"}",
                "authorization", "Bearer " + TestBed.KEY);
        assertThat(raw.body()).contains("response.output_text.delta").doesNotContain("response.completed");
        String id = raw.headers().firstValue("x-tollgate-request-id").orElseThrow();
        JsonNode row = null;
        for (JsonNode r : bed.admin("/admin/requests?limit=100").path("requests")) {
            if (r.path("request_id").asText().equals(id)) row = r;
        }
        assertThat(row).isNotNull();
        assertThat(row.path("estimated").asBoolean()).isTrue();
        assertThat(row.path("output_tokens").asLong()).isPositive();
    }

    @Test
    void previousResponseIdIsRefusedByName() throws Exception {
        HttpResponse<String> raw = bed.post("/v1/responses", """
                {"model":"claude-haiku-4-5","input":"and then?","previous_response_id":"resp_123"}
                """, "authorization", "Bearer " + TestBed.KEY);
        assertThat(raw.statusCode()).isEqualTo(400);
        JsonNode error = Json.parse(raw.body()).path("error");
        assertThat(error.path("param").asText()).isEqualTo("previous_response_id");
        assertThat(error.path("message").asText()).contains("send the conversation in `input`");
    }

    @Test
    void builtInToolsAreRefused() throws Exception {
        HttpResponse<String> raw = bed.post("/v1/responses", """
                {"model":"claude-haiku-4-5","input":"news?","tools":[{"type":"web_search"}]}
                """, "authorization", "Bearer " + TestBed.KEY);
        assertThat(raw.statusCode()).isEqualTo(400);
        JsonNode error = Json.parse(raw.body()).path("error");
        assertThat(error.path("param").asText()).isEqualTo("tools[0].type");
        assertThat(error.path("message").asText()).contains("web_search");
    }

    private static JsonNode latest(boolean stream) throws Exception {
        for (JsonNode r : bed.admin("/admin/requests?limit=100").path("requests")) {
            if (r.path("api").asText().equals("openai.responses") && r.path("stream").asBoolean() == stream) return r;
        }
        throw new AssertionError("no ledger row for openai.responses");
    }
}
