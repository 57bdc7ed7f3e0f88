package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Json;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TranslationTest {

    @Test
    void chatRequestBecomesAnthropicMessages() throws Exception {
        JsonNode chat = Json.parse("""
                {"model":"claude","temperature":1.5,"stop":"END","max_completion_tokens":99,"user":"u1",
                 "messages":[{"role":"system","content":"Be brief"},{"role":"developer","content":"Use USD"},
                   {"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},
                   {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\\"x\\":1}"}}]},
                   {"role":"tool","tool_call_id":"c1","content":"42"},{"role":"tool","tool_call_id":"c2","content":"43"}],
                 "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"required",
                 "parallel_tool_calls":false,"seed":7}""");
        ObjectNode out = ChatOverAnthropic.toMessages(chat, "claude-haiku-4-5", 4096);
        assertThat(out.path("system").asText()).isEqualTo("Be brief\n\nUse USD");
        assertThat(out.path("max_tokens").asInt()).isEqualTo(99);
        assertThat(out.path("temperature").decimalValue()).isEqualByComparingTo("1");
        assertThat(out.path("stop_sequences").get(0).asText()).isEqualTo("END");
        assertThat(out.path("metadata").path("user_id").asText()).isEqualTo("u1");
        assertThat(out.has("seed")).isFalse();
        JsonNode messages = out.path("messages");
        assertThat(messages).hasSize(3);
        assertThat(messages.get(0).path("content").get(1).path("source").path("media_type").asText()).isEqualTo("image/png");
        assertThat(messages.get(1).path("content").get(0).path("input").path("x").asInt()).isEqualTo(1);
        assertThat(messages.get(2).path("content")).hasSize(2);
        assertThat(messages.get(2).path("content").get(1).path("tool_use_id").asText()).isEqualTo("c2");
        assertThat(out.path("tools").get(0).path("input_schema").path("type").asText()).isEqualTo("object");
        assertThat(out.path("tool_choice").path("type").asText()).isEqualTo("any");
        assertThat(out.path("tool_choice").path("disable_parallel_tool_use").asBoolean()).isTrue();
    }

    @Test
    void untranslatableChatFieldsAreNamed() throws Exception {
        JsonNode n2 = Json.parse("{\"n\":2,\"messages\":[]}");
        assertThatThrownBy(() -> ChatOverAnthropic.toMessages(n2, "m", 10))
                .isInstanceOfSatisfying(Translation.UntranslatableException.class, e -> assertThat(e.param()).isEqualTo("n"));
        JsonNode json = Json.parse("{\"response_format\":{\"type\":\"json_object\"},\"messages\":[]}");
        assertThatThrownBy(() -> ChatOverAnthropic.toMessages(json, "m", 10)).hasMessageContaining("response_format");
    }

    @Test
    void aJsonSchemaIsCarriedAcrossFormats() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}";
        ObjectNode fromChat = ChatOverAnthropic.toMessages(Json.parse("{\"messages\":[],\"response_format\":{\"type\":\"json_schema\","
                + "\"json_schema\":{\"name\":\"r\",\"strict\":true,\"schema\":" + schema + "}}}"), "m", 10);
        assertThat(fromChat.path("output_config")).isEqualTo(Json.parse("{\"format\":{\"type\":\"json_schema\",\"schema\":" + schema + "}}"));
        ObjectNode fromResponses = ResponsesOverAnthropic.toMessages(Json.parse("{\"input\":\"x\",\"text\":{\"format\":{\"type\":"
                + "\"json_schema\",\"name\":\"r\",\"schema\":" + schema + "}}}"), "m", 10);
        assertThat(fromResponses.path("output_config")).isEqualTo(fromChat.path("output_config"));
        ObjectNode toChat = MessagesOverOpenAi.toChat(Json.parse("{\"max_tokens\":5,\"messages\":[],\"output_config\":{\"format\":"
                + "{\"type\":\"json_schema\",\"schema\":" + schema + "}}}"), "gpt-4o-mini");
        assertThat(toChat.path("response_format")).isEqualTo(Json.parse("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"output\","
                + "\"schema\":" + schema + "}}"));
        // Anthropic's structured-outputs beta spelled it as a top-level output_format
        ObjectNode fromBeta = MessagesOverOpenAi.toChat(Json.parse("{\"max_tokens\":5,\"messages\":[],\"output_format\":"
                + "{\"type\":\"json_schema\",\"schema\":" + schema + "}}"), "gpt-4o-mini");
        assertThat(fromBeta.path("response_format")).isEqualTo(toChat.path("response_format"));
        assertThat(fromBeta.has("output_format")).isFalse();
        assertThat(MessagesOverOpenAi.toChat(Json.parse("{\"max_tokens\":5,\"messages\":[]}"), "gpt-4o-mini").has("response_format")).isFalse();
        assertThat(ChatOverAnthropic.toMessages(Json.parse("{\"messages\":[]}"), "m", 10).has("output_config")).isFalse();
    }

    @Test
    void anthropicRequestBecomesChat() throws Exception {
        JsonNode messages = Json.parse("""
                {"model":"gpt","max_tokens":50,"system":[{"type":"text","text":"sys"}],"stop_sequences":["X"],"top_k":5,
                 "messages":[{"role":"user","content":"hi"},
                   {"role":"assistant","content":[{"type":"text","text":"calling"},{"type":"tool_use","id":"t1","name":"f","input":{"a":2}}]},
                   {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"done"}]},{"type":"text","text":"thanks"}]}],
                 "tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"f"},"stream":true}""");
        ObjectNode out = MessagesOverOpenAi.toChat(messages, "gpt-4o-mini");
        JsonNode m = out.path("messages");
        assertThat(m.get(0).path("role").asText()).isEqualTo("system");
        assertThat(m.get(2).path("tool_calls").get(0).path("function").path("arguments").asText()).isEqualTo("{\"a\":2}");
        assertThat(m.get(3).path("role").asText()).isEqualTo("tool");
        assertThat(m.get(3).path("content").asText()).isEqualTo("done");
        assertThat(m.get(4).path("content").asText()).isEqualTo("thanks");
        assertThat(out.path("max_tokens").asInt()).isEqualTo(50);
        assertThat(out.path("stop").get(0).asText()).isEqualTo("X");
        assertThat(out.has("top_k")).isFalse();
        assertThat(out.path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(out.path("tool_choice").path("function").path("name").asText()).isEqualTo("f");
        assertThat(MessagesOverOpenAi.toChat(messages, "o4-mini").has("max_completion_tokens")).isTrue();
    }

    @Test
    void responsesRequestBecomesAnthropicMessages() throws Exception {
        JsonNode responses = Json.parse("""
                {"model":"claude","instructions":"Be brief","max_output_tokens":77,"temperature":1.7,"store":true,
                 "input":[{"role":"developer","content":"Use USD"},
                   {"type":"message","role":"user","content":[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"https://x/y.png"}]},
                   {"type":"reasoning","id":"rs_1","summary":[]},
                   {"type":"function_call","call_id":"c1","name":"f","arguments":"{\\"x\\":1}"},
                   {"type":"function_call","call_id":"c2","name":"f","arguments":"{}"},
                   {"type":"function_call_output","call_id":"c1","output":"42"},{"type":"function_call_output","call_id":"c2","output":"43"},
                   {"role":"assistant","content":[{"type":"output_text","text":"both done"}]}],
                 "tools":[{"type":"function","name":"f","description":"does f","parameters":{"type":"object"},"strict":true}],
                 "tool_choice":{"type":"function","name":"f"},"parallel_tool_calls":false}""");
        ObjectNode out = ResponsesOverAnthropic.toMessages(responses, "claude-haiku-4-5", 4096);
        assertThat(out.path("system").asText()).isEqualTo("Be brief\n\nUse USD");
        assertThat(out.path("max_tokens").asInt()).isEqualTo(77);
        assertThat(out.path("temperature").decimalValue()).isEqualByComparingTo("1");
        assertThat(out.has("store")).isFalse();
        JsonNode messages = out.path("messages");
        assertThat(messages).hasSize(4);
        assertThat(messages.get(0).path("content").get(1).path("source").path("url").asText()).isEqualTo("https://x/y.png");
        assertThat(messages.get(1).path("role").asText()).isEqualTo("assistant");
        assertThat(messages.get(1).path("content")).hasSize(2);
        assertThat(messages.get(1).path("content").get(0).path("input").path("x").asInt()).isEqualTo(1);
        assertThat(messages.get(2).path("content").get(1).path("tool_use_id").asText()).isEqualTo("c2");
        assertThat(messages.get(2).path("content").get(1).path("content").asText()).isEqualTo("43");
        assertThat(messages.get(3).path("content").get(0).path("text").asText()).isEqualTo("both done");
        JsonNode tool = out.path("tools").get(0);
        assertThat(tool.path("name").asText()).isEqualTo("f");
        assertThat(tool.path("description").asText()).isEqualTo("does f");
        assertThat(tool.path("input_schema").path("type").asText()).isEqualTo("object");
        assertThat(out.path("tool_choice").path("type").asText()).isEqualTo("tool");
        assertThat(out.path("tool_choice").path("disable_parallel_tool_use").asBoolean()).isTrue();

        ObjectNode plain = ResponsesOverAnthropic.toMessages(Json.parse("{\"input\":\"hi\",\"stream\":true}"), "m", 4096);
        assertThat(plain.path("messages").get(0).path("content").get(0).path("text").asText()).isEqualTo("hi");
        assertThat(plain.path("max_tokens").asInt()).isEqualTo(4096);
        assertThat(plain.path("stream").asBoolean()).isTrue();
    }

    @Test
    void untranslatableResponsesFieldsAreNamed() throws Exception {
        for (String[] c : new String[][]{
                {"{\"input\":\"x\",\"previous_response_id\":\"resp_1\"}", "previous_response_id"},
                {"{\"input\":\"x\",\"background\":true}", "background"},
                {"{\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_object\"}}}", "text.format"},
                {"{\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":\"f\"},{\"type\":\"file_search\"}]}", "tools[1].type"},
                {"{\"input\":[{\"type\":\"item_reference\",\"id\":\"msg_1\"}]}", "input"},
                {"{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_file\",\"file_id\":\"f\"}]}]}", "input"}}) {
            JsonNode body = Json.parse(c[0]);
            assertThatThrownBy(() -> ResponsesOverAnthropic.toMessages(body, "m", 10))
                    .isInstanceOfSatisfying(Translation.UntranslatableException.class, e -> assertThat(e.param()).isEqualTo(c[1]));
        }
    }

    @Test
    void usageReadFromAnAnswersBytesIsWhatItsTreeSays() throws Exception {
        String[] openAi = {
                "{\"prompt_tokens\":1000,\"completion_tokens\":300,\"total_tokens\":1300,\"prompt_tokens_details\":{\"cached_tokens\":400,\"audio_tokens\":0},"
                        + "\"completion_tokens_details\":{\"reasoning_tokens\":200,\"accepted_prediction_tokens\":[1,{\"a\":2}]}}",
                "{\"input_tokens\":3300,\"input_tokens_details\":{\"cached_tokens\":7,\"cache_write_tokens\":3207},\"output_tokens\":9,"
                        + "\"output_tokens_details\":{\"reasoning_tokens\":4}}",
                "{\"input_tokens\":5,\"prompt_tokens\":8,\"completion_tokens\":\"3\",\"prompt_tokens_details\":null}",
                "{\"prompt_tokens\":{\"oddly\":1},\"completion_tokens\":2.0,\"prompt_tokens_details\":[3],\"completion_tokens_details\":{}}",
                "{}"};
        for (String usage : openAi) {
            AnswerHead head = AnswerHead.read(Buffer.buffer("{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"usage\"}}],\"usage\":"
                    + usage + ",\"model\":\"gpt-4o-mini-2024-07-18\"}"), UsageFields::readOpenAi);
            assertThat(head.usage()).as(usage).isEqualTo(UsageFields.fromOpenAi(Json.parse(usage)));
            assertThat(head.model()).isEqualTo("gpt-4o-mini-2024-07-18");
        }
        String[] anthropic = {
                "{\"input_tokens\":50,\"cache_read_input_tokens\":1000,\"cache_creation_input_tokens\":300,"
                        + "\"cache_creation\":{\"ephemeral_5m_input_tokens\":100,\"ephemeral_1h_input_tokens\":200},\"output_tokens\":70}",
                "{\"input_tokens\":50,\"cache_creation_input_tokens\":300,\"cache_creation\":{\"ephemeral_1h_input_tokens\":120},\"output_tokens\":1}",
                "{\"input_tokens\":12,\"cache_creation_input_tokens\":30,\"output_tokens\":6,\"service_tier\":\"standard\"}"};
        for (String usage : anthropic) {
            AnswerHead head = AnswerHead.read(Buffer.buffer("{\"model\":\"claude-x\",\"content\":[],\"usage\":" + usage + "}"),
                    UsageFields::readAnthropic);
            assertThat(head.usage()).as(usage).isEqualTo(UsageFields.fromAnthropic(Json.parse(usage)));
            assertThat(head.model()).isEqualTo("claude-x");
        }
        // no usage, or a body cut short after it: what was read before still counts
        assertThat(AnswerHead.read(Buffer.buffer("{\"model\":\"m\",\"usage\":null}"), UsageFields::readOpenAi))
                .isEqualTo(new AnswerHead(null, "m", null));
        assertThat(AnswerHead.read(Buffer.buffer("{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4},\"choices\":[{\"tr"),
                UsageFields::readOpenAi)).isEqualTo(new AnswerHead(Usage.openAi(3, 0, 4, 0), null, null));
        assertThat(AnswerHead.read(Buffer.buffer("[1]"), UsageFields::readOpenAi)).isEqualTo(new AnswerHead(null, null, null));
    }

    @Test
    void usageConventionsAreKeptApart() throws Exception {
        Usage openai = UsageFields.fromOpenAi(Json.parse("""
                {"prompt_tokens":1000,"completion_tokens":300,"prompt_tokens_details":{"cached_tokens":400},
                 "completion_tokens_details":{"reasoning_tokens":200}}"""));
        assertThat(openai.inputTokens()).isEqualTo(1000);
        assertThat(openai.uncachedInputTokens()).isEqualTo(600);
        assertThat(openai.outputTokens()).isEqualTo(300);
        // GPT-5.6 and later report cache writes as another subset of the prompt, in both OpenAI APIs
        Usage writes = UsageFields.fromOpenAi(Json.parse("""
                {"prompt_tokens":1000,"completion_tokens":10,"prompt_tokens_details":{"cached_tokens":400,"cache_write_tokens":500}}"""));
        assertThat(writes.inputTokens()).isEqualTo(1000);
        assertThat(writes.cacheWrite5mTokens()).isEqualTo(500);
        assertThat(writes.uncachedInputTokens()).isEqualTo(100);
        Usage responses = UsageFields.fromOpenAi(Json.parse("""
                {"input_tokens":3300,"input_tokens_details":{"cached_tokens":0,"cache_write_tokens":3207},"output_tokens":9}"""));
        assertThat(responses.cacheWriteTokens()).isEqualTo(3207);
        assertThat(responses.uncachedInputTokens()).isEqualTo(93);
        assertThat(UsageFields.toOpenAiChat(writes).path("prompt_tokens_details").path("cache_write_tokens").asLong()).isEqualTo(500);
        assertThat(UsageFields.toOpenAiChat(openai).path("prompt_tokens_details").has("cache_write_tokens")).isFalse();
        Usage anthropic = UsageFields.fromAnthropic(Json.parse("""
                {"input_tokens":50,"cache_read_input_tokens":1000,"cache_creation_input_tokens":300,
                 "cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":200},"output_tokens":70}"""));
        assertThat(anthropic.inputTokens()).isEqualTo(1350);
        assertThat(anthropic.cachedInputTokens()).isEqualTo(1000);
        assertThat(anthropic.cacheWrite5mTokens()).isEqualTo(100);
        assertThat(anthropic.cacheWrite1hTokens()).isEqualTo(200);
        assertThat(UsageFields.toAnthropic(anthropic).path("input_tokens").asLong()).isEqualTo(50);
        assertThat(UsageFields.hasUsageObject("{\"usage\": null}")).isFalse();
        assertThat(UsageFields.hasUsageObject("{\"choices\":[],\"usage\" : {\"prompt_tokens\":1}}")).isTrue();
    }

    @Test
    void anthropicStreamUsageTakesTheLatestCountsOfEveryRelay() throws Exception {
        AnthropicStreamUsage usage = new AnthropicStreamUsage();
        usage.start(Json.parse("""
                {"id":"msg_1","usage":{"input_tokens":12,"cache_read_input_tokens":0,"output_tokens":1}}"""));
        usage.delta(Json.parse("{\"output_tokens\":7}"));
        // a newer API version repeats the input side in message_delta, here with the cache read it finally did
        usage.delta(Json.parse("""
                {"input_tokens":12,"cache_read_input_tokens":300,"cache_creation_input_tokens":null,"output_tokens":9}"""));
        Usage u = usage.usage();
        assertThat(u.inputTokens()).isEqualTo(12 + 300);
        assertThat(u.cachedInputTokens()).isEqualTo(300);
        assertThat(u.outputTokens()).isEqualTo(9); // cumulative: the last count, never 1 + 7 + 9
        // nothing reported, or counts that cannot be billed: none, and the relay counts the call locally
        assertThat(new AnthropicStreamUsage().usage()).isNull();
        AnthropicStreamUsage negative = new AnthropicStreamUsage();
        negative.start(Json.parse("{\"usage\":{\"input_tokens\":-3,\"output_tokens\":1}}"));
        assertThat(negative.usage()).isNull();
        assertThat(UsageFields.fromOpenAi(Json.parse("{\"prompt_tokens\":5,\"completion_tokens\":-1}"))).isNull();
        assertThat(AnswerHead.read(Buffer.buffer("{\"usage\":{\"input_tokens\":-2,\"output_tokens\":4}}"),
                UsageFields::readAnthropic).usage()).isNull();
    }
}
