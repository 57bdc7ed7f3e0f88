package dev.tollgate.gateway.e2e;

import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.core.JsonValue;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import dev.tollgate.gateway.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Structured output asked in one provider's format of a model of the other (issue 13: a route or tier ladder across
 * providers with a JSON schema): Chat Completions' {@code response_format} and Responses' {@code text.format} reach an
 * Anthropic model as {@code output_config.format}, and Anthropic's {@code output_config.format} reaches an OpenAI model
 * as {@code response_format}. Before, the first two were refused with a 400 and the third was dropped (prose came back).
 * The sandbox answers JSON valid against a schema it is given, and prose otherwise.
 */
class StructuredOutputAcrossFormatsTest extends EndToEnd {

    static final Map<String, Object> SCHEMA = Map.of("type", "object",
            "properties", Map.of("answer", Map.of("type", "string"), "category", Map.of("enum", List.of("billing", "shipping", "account"))),
            "required", List.of("answer", "category"), "additionalProperties", false);

    /** What the schema asks, checked on its own: an object with a string answer and one of the categories. */
    static void assertFollowsTheSchema(String text) throws Exception {
        JsonNode json = Json.parse(text);
        assertThat(json.path("answer").isTextual()).as(text).isTrue();
        assertThat(json.path("category").asText()).as(text).isIn("billing", "shipping", "account");
        assertThat(json.size()).isEqualTo(2);
    }

    @Test
    void chatCompletionsResponseFormatReachesAnAnthropicModel() throws Exception {
        ChatCompletion completion = openai.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("claude-haiku-4-5").addUserMessage("Do you ship to Canada?")
                .putAdditionalBodyProperty("response_format", JsonValue.from(Map.of("type", "json_schema",
                        "json_schema", Map.of("name", "reply", "strict", true, "schema", SCHEMA))))
                .build());
        assertFollowsTheSchema(completion.choices().get(0).message().content().orElseThrow());
    }

    @Test
    void responsesTextFormatReachesAnAnthropicModel() throws Exception {
        Response response = openai.responses().create(ResponseCreateParams.builder()
                .model("claude-haiku-4-5").input("Do you ship to Canada?")
                .putAdditionalBodyProperty("text", JsonValue.from(Map.of("format",
                        Map.of("type", "json_schema", "name", "reply", "strict", true, "schema", SCHEMA))))
                .build());
        assertFollowsTheSchema(response.output().get(0).message().orElseThrow().content().get(0).outputText().orElseThrow().text());
    }

    @Test
    void anthropicOutputConfigReachesAnOpenAiModel() throws Exception {
        Message message = anthropic.messages().create(MessageCreateParams.builder()
                .model("gpt-4o-mini").maxTokens(200).addUserMessage("Do you ship to Canada?")
                .putAdditionalBodyProperty("output_config", com.anthropic.core.JsonValue.from(Map.of("format",
                        Map.of("type", "json_schema", "schema", SCHEMA))))
                .build());
        assertFollowsTheSchema(message.content().get(0).text().orElseThrow().text());
    }
}
