package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ResponsesTest extends SandboxTestSupport {

    private static final List<Map<String, Object>> TOOLS = List.of(Map.of("type", "function", "name", "get_time",
            "parameters", Map.of("type", "object", "properties", Map.of("zone", Map.of("type", "string")),
                    "required", List.of("zone"))));

    @Test
    void responseObjectWithUsage() throws Exception {
        JsonNode response = postJson("/v1/responses",
                json("model", "gpt-4.1", "instructions", "Be brief.", "input", "Tell me a story."));
        assertThat(response.get("id").asText()).startsWith("resp_");
        assertThat(response.get("object").asText()).isEqualTo("response");
        assertThat(response.get("status").asText()).isEqualTo("completed");
        JsonNode item = response.at("/output/0");
        assertThat(item.get("type").asText()).isEqualTo("message");
        assertThat(item.get("id").asText()).startsWith("msg_");
        assertThat(item.at("/content/0/type").asText()).isEqualTo("output_text");
        JsonNode usage = response.get("usage");
        int expectedInput = 3 + 3 + O200K.countTokens("Be brief.") + 3 + O200K.countTokens("Tell me a story.");
        assertThat(usage.get("input_tokens").asInt()).isEqualTo(expectedInput);
        assertThat(usage.at("/input_tokens_details/cached_tokens").asInt()).isZero();
        assertThat(usage.get("output_tokens").asInt()).isEqualTo(O200K.countTokens(item.at("/content/0/text").asText()));
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(expectedInput + usage.get("output_tokens").asInt());

        JsonNode reasoning = postJson("/v1/responses", json("model", "gpt-5", "input", "Hi", "max_output_tokens", 10));
        assertThat(reasoning.get("status").asText()).isEqualTo("incomplete");
        assertThat(reasoning.at("/incomplete_details/reason").asText()).isEqualTo("max_output_tokens");
        assertThat(reasoning.at("/usage/output_tokens").asInt()).isEqualTo(10);
        assertThat(reasoning.at("/usage/output_tokens_details/reasoning_tokens").asInt()).isEqualTo(5);
    }

    @Test
    void streamEventsComeInOrderWithSequenceNumbers() throws Exception {
        String body = post("/v1/responses", json("model", "gpt-4o", "input", "Hi", "stream", true),
                "x-sandbox-output-tokens", "5").body();
        List<Event> events = events(body);
        List<String> types = events.stream().map(Event::type).toList();
        assertThat(types).containsExactly("response.created", "response.in_progress", "response.output_item.added",
                "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
                "response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
                "response.output_text.done", "response.content_part.done", "response.output_item.done",
                "response.completed");
        for (int i = 0; i < events.size(); i++) {
            JsonNode data = events.get(i).json();
            assertThat(data.get("type").asText()).isEqualTo(types.get(i));
            assertThat(data.get("sequence_number").asInt()).isEqualTo(i);
        }
        StringBuilder text = new StringBuilder();
        events.subList(4, 9).forEach(e -> text.append(e.json().get("delta").asText()));
        assertThat(events.get(9).json().get("text").asText()).isEqualTo(text.toString());
        JsonNode completed = events.get(12).json().get("response");
        assertThat(completed.at("/usage/output_tokens").asInt()).isEqualTo(5);
        assertThat(completed.at("/output/0/content/0/text").asText()).isEqualTo(text.toString());
    }

    @Test
    void functionCallThenTextAfterItsOutput() throws Exception {
        JsonNode first = postJson("/v1/responses", json("model", "gpt-4o", "input", "What time is it?", "tools", TOOLS));
        JsonNode call = first.at("/output/0");
        assertThat(call.get("type").asText()).isEqualTo("function_call");
        assertThat(call.get("call_id").asText()).startsWith("call_");
        assertThat(call.get("name").asText()).isEqualTo("get_time");
        assertThat(parse(call.get("arguments").asText()).has("zone")).isTrue();

        JsonNode second = postJson("/v1/responses", json("model", "gpt-4o", "tools", TOOLS, "input", List.of(
                Map.of("role", "user", "content", "What time is it?"),
                MAPPER.convertValue(call, Map.class),
                Map.of("type", "function_call_output", "call_id", call.get("call_id").asText(), "output", "12:00"))));
        assertThat(second.at("/output/0/type").asText()).isEqualTo("message");

        List<Event> events = events(post("/v1/responses",
                json("model", "gpt-4o", "input", "Time?", "tools", TOOLS, "stream", true)).body());
        assertThat(events.get(2).json().at("/item/type").asText()).isEqualTo("function_call");
        StringBuilder arguments = new StringBuilder();
        events.stream().filter(e -> e.type().equals("response.function_call_arguments.delta"))
                .forEach(e -> arguments.append(e.json().get("delta").asText()));
        JsonNode done = events.stream().filter(e -> e.type().equals("response.function_call_arguments.done"))
                .findFirst().orElseThrow().json();
        assertThat(done.get("arguments").asText()).isEqualTo(arguments.toString());
        assertThat(events.get(events.size() - 1).type()).isEqualTo("response.completed");
    }
}
