package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AnthropicMessagesTest extends SandboxTestSupport {

    private static final String MODEL = "claude-sonnet-4-5";
    private static final List<Map<String, Object>> HELLO = List.of(Map.of("role", "user", "content", "Hello, Claude"));
    private static final List<Map<String, Object>> LOOKUP_TOOL = List.of(Map.of("name", "lookup_order",
            "description", "Finds an order",
            "input_schema", Map.of("type", "object", "properties", Map.of("order_id", Map.of("type", "string"),
                    "include_items", Map.of("type", "boolean")), "required", List.of("order_id", "include_items"))));

    @Test
    void maxTokensIsRequired() throws Exception {
        HttpResponse<String> response = post("/v1/messages", json("model", MODEL, "messages", HELLO));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("request-id")).isPresent();
        JsonNode body = parse(response.body());
        assertThat(body.get("type").asText()).isEqualTo("error");
        assertThat(body.at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(body.at("/error/message").asText()).contains("max_tokens");
    }

    @Test
    void answerCountsSystemAndMessagesAndExactOutput() throws Exception {
        JsonNode message = postJson("/v1/messages",
                json("model", MODEL, "max_tokens", 1024, "system", "Be brief.", "messages", HELLO));
        assertThat(message.get("id").asText()).startsWith("msg_");
        assertThat(message.get("type").asText()).isEqualTo("message");
        assertThat(message.get("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(message.get("stop_sequence").isNull()).isTrue();
        JsonNode usage = message.get("usage");
        int expectedInput = O200K.countTokens("Be brief.") + 3 + O200K.countTokens("Hello, Claude");
        assertThat(usage.get("input_tokens").asInt()).isEqualTo(expectedInput);
        assertThat(usage.get("cache_creation_input_tokens").asInt()).isZero();
        assertThat(usage.get("cache_read_input_tokens").asInt()).isZero();
        assertThat(usage.at("/cache_creation/ephemeral_5m_input_tokens").asInt()).isZero();
        assertThat(usage.get("service_tier").asText()).isEqualTo("standard");
        assertThat(O200K.countTokens(message.at("/content/0/text").asText())).isEqualTo(usage.get("output_tokens").asInt());

        JsonNode counted = postJson("/v1/messages/count_tokens",
                json("model", MODEL, "system", "Be brief.", "messages", HELLO));
        assertThat(counted.get("input_tokens").asInt()).isEqualTo(expectedInput);

        JsonNode capped = postJson("/v1/messages", json("model", MODEL, "max_tokens", 4, "messages", HELLO));
        assertThat(capped.get("stop_reason").asText()).isEqualTo("max_tokens");
        assertThat(capped.at("/usage/output_tokens").asInt()).isEqualTo(4);
    }

    @Test
    void streamFollowsAnthropicsEventOrderWithCumulativeOutputTokens() throws Exception {
        HttpResponse<String> response = post("/v1/messages",
                json("model", MODEL, "max_tokens", 1024, "stream", true, "messages", HELLO),
                "x-sandbox-output-tokens", "12");
        List<Event> events = events(response.body());
        List<String> types = events.stream().map(Event::type).toList();
        assertThat(types.subList(0, 3)).containsExactly("message_start", "content_block_start", "ping");
        assertThat(types.subList(3, 15)).containsOnly("content_block_delta");
        assertThat(types.subList(15, types.size())).containsExactly("content_block_stop", "message_delta", "message_stop");
        events.forEach(e -> assertThat(e.json().get("type").asText()).isEqualTo(e.type()));

        JsonNode start = events.get(0).json().get("message");
        assertThat(start.at("/usage/output_tokens").asInt()).isEqualTo(1);
        assertThat(start.at("/usage/input_tokens").asInt()).isEqualTo(3 + O200K.countTokens("Hello, Claude"));
        StringBuilder text = new StringBuilder();
        events.subList(3, 15).forEach(e -> text.append(e.json().at("/delta/text").asText()));
        JsonNode delta = events.get(16).json();
        assertThat(delta.at("/delta/stop_reason").asText()).isEqualTo("end_turn");
        assertThat(delta.at("/usage/output_tokens").asInt()).isEqualTo(12).isEqualTo(O200K.countTokens(text.toString()));
    }

    @Test
    void cacheControlWritesOnceThenReads() throws Exception {
        String longSystem = new TextGenerator(5).text(1500);
        List<Map<String, Object>> system = List.of(Map.of("type", "text", "text", longSystem,
                "cache_control", Map.of("type", "ephemeral")));
        String body = json("model", MODEL, "max_tokens", 100, "system", system, "messages", HELLO);
        int uncached = 3 + O200K.countTokens("Hello, Claude");

        JsonNode first = postJson("/v1/messages", body).get("usage");
        assertThat(first.get("cache_creation_input_tokens").asInt()).isEqualTo(1500);
        assertThat(first.at("/cache_creation/ephemeral_5m_input_tokens").asInt()).isEqualTo(1500);
        assertThat(first.get("cache_read_input_tokens").asInt()).isZero();
        assertThat(first.get("input_tokens").asInt()).isEqualTo(uncached);

        JsonNode second = postJson("/v1/messages", body).get("usage");
        assertThat(second.get("cache_creation_input_tokens").asInt()).isZero();
        assertThat(second.get("cache_read_input_tokens").asInt()).isEqualTo(1500);
        assertThat(second.get("input_tokens").asInt()).isEqualTo(uncached);
    }

    @Test
    void oneHourBreakpointAfterACachedPrefixWritesOnlyTheNewSegment() throws Exception {
        String tools = new TextGenerator(11).text(300);
        List<Map<String, Object>> system = List.of(
                Map.of("type", "text", "text", tools, "cache_control", Map.of("type", "ephemeral")),
                Map.of("type", "text", "text", "Second part.", "cache_control", Map.of("type", "ephemeral", "ttl", "1h")));
        postJson("/v1/messages", json("model", MODEL, "max_tokens", 10, "system", system.subList(0, 1), "messages", HELLO));

        JsonNode usage = postJson("/v1/messages",
                json("model", MODEL, "max_tokens", 10, "system", system, "messages", HELLO)).get("usage");
        assertThat(usage.get("cache_read_input_tokens").asInt()).isEqualTo(300);
        assertThat(usage.at("/cache_creation/ephemeral_1h_input_tokens").asInt()).isEqualTo(O200K.countTokens("Second part."));
        assertThat(usage.at("/cache_creation/ephemeral_5m_input_tokens").asInt()).isZero();
    }

    @Test
    void toolUseThenTextAfterTheToolResult() throws Exception {
        JsonNode first = postJson("/v1/messages", json("model", MODEL, "max_tokens", 200, "tools", LOOKUP_TOOL,
                "messages", List.of(Map.of("role", "user", "content", "Where is order 42?"))));
        assertThat(first.get("stop_reason").asText()).isEqualTo("tool_use");
        JsonNode toolUse = first.at("/content/0");
        assertThat(toolUse.get("type").asText()).isEqualTo("tool_use");
        assertThat(toolUse.get("id").asText()).startsWith("toolu_");
        assertThat(toolUse.get("name").asText()).isEqualTo("lookup_order");
        assertThat(toolUse.at("/input/order_id").isTextual()).isTrue();
        assertThat(toolUse.at("/input/include_items").isBoolean()).isTrue();

        JsonNode second = postJson("/v1/messages", json("model", MODEL, "max_tokens", 200, "tools", LOOKUP_TOOL,
                "messages", List.of(
                        Map.of("role", "user", "content", "Where is order 42?"),
                        Map.of("role", "assistant", "content", List.of(MAPPER.convertValue(toolUse, Map.class))),
                        Map.of("role", "user", "content", List.of(Map.of("type", "tool_result",
                                "tool_use_id", toolUse.get("id").asText(), "content", "Shipped yesterday."))))));
        assertThat(second.get("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(second.at("/content/0/type").asText()).isEqualTo("text");
    }

    @Test
    void streamedToolUseDeliversInputJsonDeltas() throws Exception {
        HttpResponse<String> response = post("/v1/messages", json("model", MODEL, "max_tokens", 200, "stream", true,
                "tools", LOOKUP_TOOL, "messages", List.of(Map.of("role", "user", "content", "Order 42?"))));
        List<Event> events = events(response.body());
        assertThat(events.get(1).json().at("/content_block/type").asText()).isEqualTo("tool_use");
        StringBuilder partial = new StringBuilder();
        events.stream().filter(e -> "content_block_delta".equals(e.type()))
                .forEach(e -> partial.append(e.json().at("/delta/partial_json").asText()));
        assertThat(parse(partial.toString()).has("order_id")).isTrue();
        JsonNode delta = events.get(events.size() - 2).json();
        assertThat(delta.at("/delta/stop_reason").asText()).isEqualTo("tool_use");
        assertThat(delta.at("/usage/output_tokens").asInt()).isPositive();
    }
}
