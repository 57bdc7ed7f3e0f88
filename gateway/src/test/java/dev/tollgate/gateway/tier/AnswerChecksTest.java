package dev.tollgate.gateway.tier;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Json;
import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The cascade's checks of an answer, in each wire format. */
class AnswerChecksTest {

    private static final TierConfig.Cascade DEFAULTS = new TierConfig.Cascade(true, true, null, 0, true);
    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\"},"
            + "\"category\":{\"enum\":[\"billing\",\"shipping\"]}},\"required\":[\"answer\",\"category\"]}";

    private static JsonNode chatRequest(String responseFormat) {
        return Json.tree("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
                + (responseFormat == null ? "" : ",\"response_format\":" + responseFormat) + "}");
    }

    private static JsonNode chatAnswer(String content) {
        return Json.tree("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(content).toString() + "}}]}");
    }

    private static String chat(TierConfig.Cascade checks, String responseFormat, String content) {
        return AnswerChecks.failure(checks, Api.OPENAI_CHAT, chatRequest(responseFormat), chatAnswer(content));
    }

    @Test
    void jsonAgainstTheRequestsSchema() {
        String format = "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"t\",\"schema\":" + SCHEMA + "}}";
        assertThat(chat(DEFAULTS, format, "{\"answer\":\"ok\",\"category\":\"billing\"}")).isNull();
        assertThat(chat(DEFAULTS, format, "{\"answer\":\"ok\"}")).startsWith("not valid against the schema");
        assertThat(chat(DEFAULTS, format, "{\"answer\":\"ok\",\"category\":\"weather\"}")).startsWith("not valid against the schema");
        assertThat(chat(DEFAULTS, format, "Sure! The answer is ok.")).isEqualTo("not JSON");
        // json_object: any JSON object will do
        assertThat(chat(DEFAULTS, "{\"type\":\"json_object\"}", "{\"x\":1}")).isNull();
        assertThat(chat(DEFAULTS, "{\"type\":\"json_object\"}", "x = 1")).isEqualTo("not JSON");
        // the check can be turned off
        assertThat(chat(new TierConfig.Cascade(true, false, null, 0, true), format, "prose")).isNull();
    }

    @Test
    void regexMinimumLengthAndRefusals() {
        TierConfig.Cascade checks = new TierConfig.Cascade(true, true, Pattern.compile("order #\\d+"), 20, true);
        assertThat(chat(checks, null, "Your order #123 ships tomorrow.")).isNull();
        assertThat(chat(checks, null, "Your order ships tomorrow, friend.")).startsWith("no match");
        assertThat(chat(checks, null, "order #1")).startsWith("shorter than 20");
        assertThat(chat(DEFAULTS, null, "I'm sorry, but I can't help with that.")).isEqualTo("a refusal");
        assertThat(chat(DEFAULTS, null, "I can\u2019t assist with that request.")).isEqualTo("a refusal");
        assertThat(chat(DEFAULTS, null, "As an AI language model, I cannot browse the web.")).isEqualTo("a refusal");
        assertThat(chat(DEFAULTS, null, "Resetting takes two steps: open settings, then press reset.")).isNull();
        // a refusal quoted deep in a long answer is not one
        assertThat(chat(DEFAULTS, null, "x".repeat(300) + " I can't help with that")).isNull();
    }

    @Test
    void toolCallsPassAndOtherFormatsAreRead() {
        JsonNode toolCall = Json.tree("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{}]}}]}");
        assertThat(AnswerChecks.failure(DEFAULTS, Api.OPENAI_CHAT, chatRequest(null), toolCall)).isNull();

        JsonNode messagesRequest = Json.tree("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[],"
                + "\"output_config\":{\"format\":{\"type\":\"json_schema\",\"schema\":" + SCHEMA + "}}}");
        JsonNode good = Json.tree("{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"answer\\\":\\\"a\\\",\\\"category\\\":\\\"shipping\\\"}\"}]}");
        JsonNode bad = Json.tree("{\"content\":[{\"type\":\"text\",\"text\":\"{\\\"answer\\\":1}\"}]}");
        assertThat(AnswerChecks.failure(DEFAULTS, Api.ANTHROPIC_MESSAGES, messagesRequest, good)).isNull();
        assertThat(AnswerChecks.failure(DEFAULTS, Api.ANTHROPIC_MESSAGES, messagesRequest, bad)).startsWith("not valid");
        JsonNode betaRequest = Json.tree("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[],"
                + "\"output_format\":{\"type\":\"json_schema\",\"schema\":" + SCHEMA + "}}"); // the structured-outputs beta's spelling
        assertThat(AnswerChecks.failure(DEFAULTS, Api.ANTHROPIC_MESSAGES, betaRequest, good)).isNull();
        assertThat(AnswerChecks.failure(DEFAULTS, Api.ANTHROPIC_MESSAGES, betaRequest, bad)).startsWith("not valid");

        JsonNode responsesRequest = Json.tree("{\"model\":\"m\",\"input\":\"hi\",\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"t\",\"schema\":" + SCHEMA + "}}}");
        JsonNode answer = Json.tree("{\"output\":[{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"{}\"}]}]}");
        assertThat(AnswerChecks.failure(DEFAULTS, Api.OPENAI_RESPONSES, responsesRequest, answer)).startsWith("not valid");
    }
}
