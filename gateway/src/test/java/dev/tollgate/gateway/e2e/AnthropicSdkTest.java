package dev.tollgate.gateway.e2e;

import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.NotFoundException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The official Anthropic Java SDK against the gateway (passthrough to an Anthropic provider, and translated to an
 * OpenAI-format one), and the OpenAI SDK reaching an Anthropic model.
 */
class AnthropicSdkTest extends EndToEnd {

    /** Claude Haiku 4.5's published list price, USD per million tokens. */
    static final BigDecimal HAIKU_INPUT = new BigDecimal("1");
    static final BigDecimal HAIKU_OUTPUT = new BigDecimal("5");
    static final BigDecimal MILLION = new BigDecimal(1_000_000);

    static BigDecimal haikuCost(long input, long output) {
        return BigDecimal.valueOf(input).multiply(HAIKU_INPUT).add(BigDecimal.valueOf(output).multiply(HAIKU_OUTPUT)).divide(MILLION);
    }

    @Test
    void messagesArePricedFromAnthropicUsage() {
        HttpResponseFor<Message> raw = anthropic.messages().withRawResponse().create(MessageCreateParams.builder()
                .model("claude-haiku-4-5").maxTokens(24).system("You are terse.").addUserMessage("Price a token").build());
        Message message = raw.parse();
        assertThat(message.content()).isNotEmpty();
        long input = message.usage().inputTokens();
        long output = message.usage().outputTokens();
        assertThat(input).isPositive();
        assertThat(output).isBetween(1L, 24L);
        assertThat(new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0))).isEqualByComparingTo(haikuCost(input, output));
    }

    @Test
    void streamedMessageAccumulatesAndIsMetered() throws Exception {
        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(MessageCreateParams.builder()
                .model("claude-haiku-4-5").maxTokens(16).addUserMessage("Stream please").build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        Message message = accumulator.message();
        assertThat(message.usage().outputTokens()).isEqualTo(16);
        assertThat(message.stopReason()).contains(StopReason.MAX_TOKENS);
        JsonNode row = latest("claude-haiku-4-5", true);
        assertThat(row.path("output_tokens").asLong()).isEqualTo(16);
        assertThat(row.path("estimated").asBoolean()).isFalse();
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(haikuCost(row.path("input_tokens").asLong(), 16));
    }

    @Test
    void anthropicClientReachesAnOpenAiModel() {
        Message message = anthropic.messages().create(MessageCreateParams.builder()
                .model("gpt-4o-mini").maxTokens(10).system("Be brief").addUserMessage("Hello there").build());
        assertThat(message.content().get(0).text()).isPresent();
        assertThat(message.usage().outputTokens()).isEqualTo(10);
        assertThat(message.stopReason()).contains(StopReason.MAX_TOKENS);

        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(MessageCreateParams.builder()
                .model("gpt-4o-mini").maxTokens(8).addUserMessage("Stream from OpenAI").build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        assertThat(accumulator.message().content().get(0).text().orElseThrow().text()).isNotBlank();
        assertThat(accumulator.message().usage().outputTokens()).isEqualTo(8);
    }

    @Test
    void openAiClientReachesAnAnthropicModel() throws Exception {
        var raw = openai.chat().completions().withRawResponse().create(ChatCompletionCreateParams.builder()
                .model("claude-haiku-4-5").addSystemMessage("Be brief").addUserMessage("Hello").maxCompletionTokens(9).build());
        ChatCompletion completion = raw.parse();
        assertThat(completion.choices().get(0).message().content()).isPresent();
        assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
        var usage = completion.usage().orElseThrow();
        assertThat(usage.completionTokens()).isEqualTo(9);
        assertThat(new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0)))
                .isEqualByComparingTo(haikuCost(usage.promptTokens(), usage.completionTokens()));

        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (var stream = openai.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                .model("claude-haiku-4-5").addUserMessage("Stream").maxCompletionTokens(7)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunks::add);
        }
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append)));
        assertThat(text.toString()).isNotBlank();
        assertThat(chunks.get(chunks.size() - 1).usage().orElseThrow().completionTokens()).isEqualTo(7);
    }

    @Test
    void toolCallRoundTripAcrossFormats() throws Exception {
        String tools = """
                "tools":[{"type":"function","function":{"name":"get_price","description":"Price of a model",
                  "parameters":{"type":"object","properties":{"model":{"type":"string"}},"required":["model"]}}}]""";
        var first = bed.post("/v1/chat/completions", """
                {"model":"claude-haiku-4-5","max_tokens":50,"messages":[{"role":"user","content":"What does gpt-4o cost?"}],%s}
                """.formatted(tools), "authorization", "Bearer " + TestBed.KEY);
        assertThat(first.statusCode()).isEqualTo(200);
        JsonNode choice = dev.tollgate.gateway.Json.parse(first.body()).path("choices").get(0);
        assertThat(choice.path("finish_reason").asText()).isEqualTo("tool_calls");
        JsonNode call = choice.path("message").path("tool_calls").get(0);
        assertThat(call.path("function").path("name").asText()).isEqualTo("get_price");
        assertThat(dev.tollgate.gateway.Json.parse(call.path("function").path("arguments").asText()).has("model")).isTrue();

        var second = bed.post("/v1/chat/completions", """
                {"model":"claude-haiku-4-5","max_tokens":50,"messages":[
                  {"role":"user","content":"What does gpt-4o cost?"},
                  {"role":"assistant","content":null,"tool_calls":[{"id":"%s","type":"function","function":{"name":"get_price","arguments":"{\\"model\\":\\"gpt-4o\\"}"}}]},
                  {"role":"tool","tool_call_id":"%s","content":"$2.50 per million input tokens"}],%s}
                """.formatted(call.path("id").asText(), call.path("id").asText(), tools), "authorization", "Bearer " + TestBed.KEY);
        assertThat(second.statusCode()).isEqualTo(200);
        JsonNode answer = dev.tollgate.gateway.Json.parse(second.body()).path("choices").get(0);
        assertThat(answer.path("finish_reason").asText()).isIn("stop", "length");
        assertThat(answer.path("message").path("content").asText()).isNotBlank();
    }

    @Test
    void unknownModelIsAnAnthropicError() {
        assertThatThrownBy(() -> anthropic.messages().create(MessageCreateParams.builder()
                .model("claude-nonexistent").maxTokens(10).addUserMessage("hi").build()))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("claude-nonexistent");
    }

    private static JsonNode latest(String deployment, boolean stream) throws Exception {
        for (JsonNode r : bed.admin("/admin/requests?limit=100").path("requests")) {
            if (r.path("deployment").asText().equals(deployment) && r.path("stream").asBoolean() == stream) return r;
        }
        throw new AssertionError("no ledger row for " + deployment);
    }
}
