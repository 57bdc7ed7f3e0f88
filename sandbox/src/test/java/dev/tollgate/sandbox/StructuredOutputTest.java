package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Structured output (valid JSON against the request's schema, streamed or not) and controlled quality. */
class StructuredOutputTest extends SandboxTestSupport {

    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    /** Nested objects, enums, arrays, integers with bounds, numbers, booleans, string formats, a $ref. */
    static final String SCHEMA = """
            {"type":"object","additionalProperties":false,
             "properties":{
               "sentiment":{"type":"string","enum":["positive","neutral","negative"]},
               "score":{"type":"integer","minimum":1,"maximum":5},
               "confidence":{"type":"number","minimum":0,"exclusiveMaximum":1},
               "urgent":{"type":"boolean"},
               "summary":{"type":"string","minLength":20,"maxLength":60},
               "when":{"type":"string","format":"date-time"},
               "contact":{"type":["string","null"],"format":"email"},
               "tags":{"type":"array","items":{"type":"string"},"minItems":2,"maxItems":4,"uniqueItems":true},
               "items":{"type":"array","items":{"$ref":"#/$defs/item"},"minItems":1},
               "meta":{"type":"object","properties":{"source":{"type":"string","const":"email"},"pages":{"type":"integer","multipleOf":10}},
                       "required":["source","pages"],"additionalProperties":false}},
             "required":["sentiment","score","confidence","urgent","summary","when","contact","tags","items","meta"],
             "$defs":{"item":{"type":"object","properties":{"sku":{"type":"string"},"qty":{"type":"integer","exclusiveMinimum":0}},
                      "required":["sku","qty"],"additionalProperties":false}}}
            """;

    static List<String> errors(JsonNode schema, String instance) {
        return SCHEMAS.getSchema(schema.toString()).validate(instance, InputFormat.JSON).stream().map(Object::toString).toList();
    }

    static List<Map<String, String>> ask(String prompt) {
        return List.of(Map.of("role", "user", "content", prompt));
    }

    /** The documented draw, computed here on its own: SHA-256 of the prompt, first 53 bits, over 2^53. */
    static double draw(String prompt) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(prompt.getBytes(StandardCharsets.UTF_8));
        long v = 0;
        for (int i = 0; i < 8; i++) v = v << 8 | (d[i] & 0xff);
        return (v >>> 11) / Math.pow(2, 53);
    }

    @Test
    void chatCompletionsAnswerJsonValidAgainstTheSchemaWithUsageCountedFromIt() throws Exception {
        JsonNode schema = parse(SCHEMA);
        Map<String, Object> format = Map.of("type", "json_schema", "json_schema", Map.of("name", "review", "strict", true, "schema", schema));
        JsonNode first = postJson("/v1/chat/completions", json("model", "gpt-4o", "messages", ask("Classify: the box arrived broken."),
                "response_format", format));
        String content = first.at("/choices/0/message/content").asText();
        assertThat(errors(schema, content)).isEmpty();
        assertThat(first.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(first.at("/usage/completion_tokens").asInt()).isEqualTo(O200K.countTokens(content));

        JsonNode again = postJson("/v1/chat/completions", json("model", "gpt-4o", "messages", ask("Classify: the box arrived broken."),
                "response_format", format));
        assertThat(again.at("/choices/0/message/content").asText()).isEqualTo(content);
        for (int i = 0; i < 30; i++) {  // other prompts, other values, always valid
            String other = postJson("/v1/chat/completions", json("model", "gpt-4o-mini", "messages", ask("Review number " + i),
                    "response_format", format)).at("/choices/0/message/content").asText();
            assertThat(errors(schema, other)).as(other).isEmpty();
        }

        JsonNode object = postJson("/v1/chat/completions", json("model", "gpt-4o", "messages", ask("Anything. Reply with exactly: 42"),
                "response_format", Map.of("type", "json_object")));
        assertThat(parse(object.at("/choices/0/message/content").asText())).isEqualTo(parse("{\"answer\":\"42\"}"));
    }

    @Test
    void streamsDeliverTheJsonInDeltasInEveryApi() throws Exception {
        JsonNode schema = parse(SCHEMA);
        String chat = post("/v1/chat/completions", json("model", "gpt-4o", "messages", ask("Stream it"), "stream", true,
                "stream_options", Map.of("include_usage", true),
                "response_format", Map.of("type", "json_schema", "json_schema", Map.of("name", "r", "schema", schema)))).body();
        List<Event> chatEvents = events(chat);
        StringBuilder text = new StringBuilder();
        chatEvents.subList(0, chatEvents.size() - 1).forEach(e -> text.append(e.json().at("/choices/0/delta/content").asText("")));
        assertThat(errors(schema, text.toString())).isEmpty();
        assertThat(chatEvents.get(chatEvents.size() - 2).json().at("/usage/completion_tokens").asInt())
                .isEqualTo(O200K.countTokens(text.toString()));

        Map<String, Object> textFormat = Map.of("format", Map.of("type", "json_schema", "name", "r", "schema", schema));
        JsonNode response = postJson("/v1/responses", json("model", "gpt-4.1", "input", "Stream it", "text", textFormat));
        String plain = response.at("/output/0/content/0/text").asText();
        assertThat(errors(schema, plain)).isEmpty();
        assertThat(response.at("/text/format/type").asText()).isEqualTo("json_schema");
        String streamed = post("/v1/responses", json("model", "gpt-4.1", "input", "Stream it", "stream", true, "text", textFormat)).body();
        StringBuilder deltas = new StringBuilder();
        JsonNode completed = null;
        for (Event e : events(streamed)) {
            if ("response.output_text.delta".equals(e.type())) deltas.append(e.json().get("delta").asText());
            if ("response.completed".equals(e.type())) completed = e.json();
        }
        assertThat(deltas.toString()).isEqualTo(plain);
        assertThat(completed.at("/response/usage/output_tokens").asInt()).isEqualTo(O200K.countTokens(plain));

        Map<String, Object> outputConfig = Map.of("format", Map.of("type", "json_schema", "schema", schema));
        JsonNode message = postJson("/v1/messages", json("model", "claude-haiku-4-5", "max_tokens", 1024, "messages", ask("Stream it"),
                "output_config", outputConfig));
        String claude = message.at("/content/0/text").asText();
        assertThat(errors(schema, claude)).isEmpty();
        assertThat(message.at("/usage/output_tokens").asInt()).isEqualTo(O200K.countTokens(claude));
        String anthropicStream = post("/v1/messages", json("model", "claude-haiku-4-5", "max_tokens", 1024, "messages", ask("Stream it"),
                "stream", true, "output_config", outputConfig)).body();
        StringBuilder blocks = new StringBuilder();
        events(anthropicStream).stream().filter(e -> "content_block_delta".equals(e.type()))
                .forEach(e -> blocks.append(e.json().at("/delta/text").asText()));
        assertThat(blocks.toString()).isEqualTo(claude);
    }

    @Test
    void aCapBelowTheReplyCutsItToProseOfTheCapsLength() throws Exception {
        JsonNode capped = postJson("/v1/chat/completions", json("model", "gpt-4o", "messages", ask("Cap it"), "max_tokens", 5,
                "response_format", Map.of("type", "json_schema", "json_schema", Map.of("name", "r", "schema", parse(SCHEMA)))));
        assertThat(capped.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(capped.at("/usage/completion_tokens").asInt()).isEqualTo(5);
    }

    @Test
    void aModelOfKnownQualityAnswersThatShareOfPromptsRight() throws Exception {
        int right = 0, expected = 0;
        for (int i = 0; i < 200; i++) {
            String prompt = "Task " + i + ": what is the code word?\nReply with exactly: word-" + i;
            String answer = postJson("/v1/chat/completions", json("model", "gpt-4o-mini", "messages", ask(prompt)),
                    "x-sandbox-quality", "0.7").at("/choices/0/message/content").asText();
            if (answer.equals("word-" + i)) right++;
            if (draw(prompt) < 0.7) expected++;
        }
        assertThat(right).isEqualTo(expected).isBetween(120, 160);

        String prompt = "Reply with exactly: yes";
        assertThat(postJson("/v1/chat/completions", json("model", "gpt-4o", "messages", ask(prompt))).at("/choices/0/message/content").asText())
                .as("without a quality every answer is right").isEqualTo("yes");
        assertThat(postJson("/v1/chat/completions", json("model", "gpt-4o", "messages", ask(prompt)), "x-sandbox-quality", "0")
                .at("/choices/0/message/content").asText()).isNotEqualTo("yes");
    }

    @Test
    void aWrongStructuredAnswerIsJsonTheSchemaRejects() throws Exception {
        JsonNode schema = parse(SCHEMA);
        int valid = 0, expected = 0;
        for (int i = 0; i < 60; i++) {
            String prompt = "Ticket " + i;
            String content = postJson("/v1/messages", json("model", "claude-sonnet-4-5", "max_tokens", 2048, "messages", ask(prompt),
                    "output_config", Map.of("format", Map.of("type", "json_schema", "schema", schema))), "x-sandbox-quality", "0.5")
                    .at("/content/0/text").asText();
            parse(content); // JSON either way
            if (errors(schema, content).isEmpty()) valid++;
            if (draw(prompt) < 0.5) expected++;
        }
        assertThat(valid).isEqualTo(expected).isBetween(15, 45);
    }

    @Test
    void aGradingPromptIsAnsweredPassOrFailAgainstItsReference() throws Exception {
        String pass = "Grade it.\n<reference>Paris</reference>\n<answer> paris </answer>";
        String fail = "Grade it.\n<reference>Paris</reference>\n<answer>Lyon</answer>";
        assertThat(postJson("/v1/chat/completions", json("model", "gpt-4o", "messages", ask(pass))).at("/choices/0/message/content").asText())
                .startsWith("PASS");
        assertThat(postJson("/v1/chat/completions", json("model", "gpt-4o", "messages", ask(fail))).at("/choices/0/message/content").asText())
                .startsWith("FAIL");
        assertThat(postJson("/v1/chat/completions", json("model", "gpt-4o", "messages", ask(fail)), "x-sandbox-quality", "0")
                .at("/choices/0/message/content").asText()).as("a judge that is always wrong").startsWith("PASS");
    }
}
