package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class OpenAiChatTest extends SandboxTestSupport {

    private static final List<Map<String, String>> MESSAGES = List.of(
            Map.of("role", "system", "content", "You are a terse assistant."),
            Map.of("role", "user", "content", "How much does one million tokens cost?"));

    /** OpenAI's documented chat overhead: 3 per message (its values counted), 3 priming the reply. */
    private static int expectedPromptTokens(List<Map<String, String>> messages) {
        int total = 3;
        for (Map<String, String> m : messages) total += 3 + O200K.countTokens(m.get("role")) + O200K.countTokens(m.get("content"));
        return total;
    }

    private static final List<Map<String, Object>> WEATHER_TOOL = List.of(Map.of("type", "function", "function", Map.of(
            "name", "get_weather",
            "parameters", Map.of("type", "object",
                    "properties", Map.of("city", Map.of("type", "string"), "days", Map.of("type", "integer"),
                            "unit", Map.of("type", "string", "enum", List.of("celsius", "fahrenheit"))),
                    "required", List.of("city", "days", "unit")))));

    @Test
    void answerReportsRealPromptTokensAndExactCompletionTokens() throws Exception {
        JsonNode completion = postJson("/v1/chat/completions", json("model", "gpt-4o-mini", "messages", MESSAGES));

        assertThat(completion.get("id").asText()).startsWith("chatcmpl-");
        assertThat(completion.get("object").asText()).isEqualTo("chat.completion");
        JsonNode choice = completion.get("choices").get(0);
        assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
        assertThat(choice.get("message").get("refusal").isNull()).isTrue();
        JsonNode usage = completion.get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(expectedPromptTokens(MESSAGES));
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(32);
        assertThat(O200K.countTokens(choice.get("message").get("content").asText())).isEqualTo(32);
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(expectedPromptTokens(MESSAGES) + 32);
        assertThat(usage.get("prompt_tokens_details").get("cached_tokens").asInt()).isZero();
        assertThat(usage.get("completion_tokens_details").get("reasoning_tokens").asInt()).isZero();
    }

    @Test
    void capCutsTheAnswerWithFinishReasonLength() throws Exception {
        JsonNode capped = postJson("/v1/chat/completions",
                json("model", "gpt-4", "messages", MESSAGES, "max_tokens", 5), "x-sandbox-output-tokens", "50");
        assertThat(capped.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(capped.at("/usage/completion_tokens").asInt()).isEqualTo(5);
        assertThat(CL100K.countTokens(capped.at("/choices/0/message/content").asText())).isEqualTo(5);

        JsonNode longer = postJson("/v1/chat/completions",
                json("model", "gpt-4", "messages", MESSAGES, "max_completion_tokens", 500), "x-sandbox-output-tokens", "300");
        assertThat(longer.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(CL100K.countTokens(longer.at("/choices/0/message/content").asText())).isEqualTo(300);
    }

    @Test
    void reasoningTokensAreIncludedInCompletionTokens() throws Exception {
        JsonNode completion = postJson("/v1/chat/completions",
                json("model", "o3-mini", "messages", MESSAGES), "x-sandbox-output-tokens", "40");
        JsonNode usage = completion.get("usage");
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(40);
        assertThat(usage.at("/completion_tokens_details/reasoning_tokens").asInt()).isEqualTo(20);
        assertThat(O200K.countTokens(completion.at("/choices/0/message/content").asText())).isEqualTo(20);
    }

    @Test
    void streamReassemblesToTheTextAndCarriesUsageOnlyWhenAsked() throws Exception {
        HttpResponse<String> plain = post("/v1/chat/completions",
                json("model", "gpt-4o", "messages", MESSAGES, "stream", true));
        assertThat(plain.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        List<Event> events = events(plain.body());
        assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(Event::json).toList();
        assertThat(chunks).allSatisfy(c -> {
            assertThat(c.get("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(c.has("usage")).isFalse();
        });
        assertThat(chunks.get(0).at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        assertThat(chunks.get(chunks.size() - 1).at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> text.append(c.at("/choices/0/delta/content").asText("")));
        assertThat(O200K.countTokens(text.toString())).isEqualTo(32);

        HttpResponse<String> withUsage = post("/v1/chat/completions", json("model", "gpt-4o", "messages", MESSAGES,
                "stream", true, "stream_options", Map.of("include_usage", true)));
        List<Event> usageEvents = events(withUsage.body());
        JsonNode last = usageEvents.get(usageEvents.size() - 2).json();
        assertThat(last.get("choices")).isEmpty();
        assertThat(last.at("/usage/completion_tokens").asInt()).isEqualTo(32);
        assertThat(last.at("/usage/prompt_tokens").asInt()).isEqualTo(expectedPromptTokens(MESSAGES));
        usageEvents.subList(0, usageEvents.size() - 2)
                .forEach(e -> assertThat(e.json().get("usage").isNull()).isTrue());
    }

    @Test
    void toolCallThenTextAfterTheToolResult() throws Exception {
        JsonNode first = postJson("/v1/chat/completions", json("model", "gpt-4o", "messages",
                List.of(Map.of("role", "user", "content", "Weather in Paris?")), "tools", WEATHER_TOOL));
        JsonNode choice = first.at("/choices/0");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(choice.at("/message/content").isNull()).isTrue();
        JsonNode toolCall = choice.at("/message/tool_calls/0");
        assertThat(toolCall.get("id").asText()).startsWith("call_");
        assertThat(toolCall.at("/function/name").asText()).isEqualTo("get_weather");
        JsonNode arguments = parse(toolCall.at("/function/arguments").asText());
        assertThat(arguments.get("city").isTextual()).isTrue();
        assertThat(arguments.get("days").isInt()).isTrue();
        assertThat(arguments.get("unit").asText()).isEqualTo("celsius");
        assertThat(first.at("/usage/prompt_tokens").asInt()).isGreaterThan(
                expectedPromptTokens(List.of(Map.of("role", "user", "content", "Weather in Paris?"))));

        String followUp = json("model", "gpt-4o", "tools", WEATHER_TOOL, "messages", List.of(
                Map.of("role", "user", "content", "Weather in Paris?"),
                Map.of("role", "assistant", "tool_calls", List.of(MAPPER.convertValue(toolCall, Map.class))),
                Map.of("role", "tool", "tool_call_id", toolCall.get("id").asText(), "content", "{\"temp\":21}")));
        JsonNode second = postJson("/v1/chat/completions", followUp);
        assertThat(second.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(second.at("/choices/0/message/content").asText()).isNotEmpty();
    }

    @Test
    void streamedToolCallArrivesInIndexedDeltas() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", json("model", "gpt-4o", "stream", true,
                "messages", List.of(Map.of("role", "user", "content", "Weather?")), "tools", WEATHER_TOOL));
        List<Event> events = events(response.body());
        JsonNode first = events.get(0).json().at("/choices/0/delta/tool_calls/0");
        assertThat(first.get("index").asInt()).isZero();
        assertThat(first.get("id").asText()).startsWith("call_");
        assertThat(first.at("/function/name").asText()).isEqualTo("get_weather");
        StringBuilder arguments = new StringBuilder();
        for (Event e : events.subList(1, events.size() - 2)) {
            JsonNode delta = e.json().at("/choices/0/delta/tool_calls/0");
            assertThat(delta.get("index").asInt()).isZero();
            arguments.append(delta.at("/function/arguments").asText());
        }
        assertThat(parse(arguments.toString()).get("unit").asText()).isEqualTo("celsius");
        assertThat(events.get(events.size() - 2).json().at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    }

    @Test
    void longPromptPrefixSeenBeforeIsReportedCached() throws Exception {
        String longSystem = new TextGenerator(99).text(2000);
        List<Map<String, String>> first = List.of(Map.of("role", "system", "content", longSystem),
                Map.of("role", "user", "content", "First question?"));
        List<Map<String, String>> second = List.of(Map.of("role", "system", "content", longSystem),
                Map.of("role", "user", "content", "Second question?"));
        JsonNode cold = postJson("/v1/chat/completions", json("model", "gpt-4o", "messages", first));
        assertThat(cold.at("/usage/prompt_tokens_details/cached_tokens").asInt()).isZero();

        JsonNode warm = postJson("/v1/chat/completions", json("model", "gpt-4o", "messages", second));
        int systemTokens = 3 + O200K.countTokens("system") + 2000;
        assertThat(warm.at("/usage/prompt_tokens_details/cached_tokens").asInt()).isEqualTo(systemTokens / 128 * 128);

        JsonNode repeat = postJson("/v1/chat/completions", json("model", "gpt-4o", "messages", second));
        int promptTokens = repeat.at("/usage/prompt_tokens").asInt();
        assertThat(repeat.at("/usage/prompt_tokens_details/cached_tokens").asInt())
                .isEqualTo((promptTokens - 3) / 128 * 128);
    }

    @Test
    void missingMessagesIsAnOpenAiError() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", json("model", "gpt-4o"));
        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = parse(response.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
        assertThat(error.get("message").asText()).contains("messages");
    }
}
