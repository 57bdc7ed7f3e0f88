package dev.tollgate.gateway.stage;

import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.gateway.sse.SseEvent;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which opening events are held, which begin the answer, and which are a refusal before the first content. */
class FirstContentTest {

    private static Object anthropic(String type, String data) {
        return FirstContent.classify(WireFormat.ANTHROPIC, Api.ANTHROPIC_MESSAGES, "p", new SseEvent(type, data, Buffer.buffer()));
    }

    private static Object chat(String data) {
        return FirstContent.classify(WireFormat.OPENAI, Api.OPENAI_CHAT, "p", new SseEvent(null, data, Buffer.buffer()));
    }

    private static Object responses(String type, String data) {
        return FirstContent.classify(WireFormat.OPENAI, Api.OPENAI_RESPONSES, "p", new SseEvent(type, data, Buffer.buffer()));
    }

    @Test
    void anthropicOpeningEventsAreHeldUntilTheFirstDelta() {
        assertThat(anthropic("message_start", "{\"type\":\"message_start\",\"message\":{}}")).isSameAs(FirstContent.OPENING);
        assertThat(anthropic("content_block_start", "{}")).isSameAs(FirstContent.OPENING);
        assertThat(anthropic("ping", "{\"type\":\"ping\"}")).isSameAs(FirstContent.OPENING);
        assertThat(anthropic(null, null)).isSameAs(FirstContent.OPENING);
        assertThat(anthropic("content_block_delta", "{}")).isSameAs(FirstContent.CONTENT);
        // an empty text delta is not the answer yet (an error after it still falls back), as OpenAI's empty chunk is not
        assertThat(anthropic("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\"}}"))
                .isSameAs(FirstContent.OPENING);
        assertThat(anthropic("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}"))
                .isSameAs(FirstContent.CONTENT);
        assertThat(anthropic("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}"))
                .isSameAs(FirstContent.CONTENT);
        assertThat(anthropic("message_stop", "{}")).isSameAs(FirstContent.CONTENT);
    }

    @Test
    void anthropicOverloadedAfterMessageStartIsARefusalWithItsOwnType() {
        Object kind = anthropic("error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");
        assertThat(kind).isInstanceOf(AttemptFailure.class);
        AttemptFailure f = (AttemptFailure) kind;
        assertThat(f.kind()).isEqualTo("stream_error");
        assertThat(f.retryable()).isTrue();
        assertThat(f.error().status()).isEqualTo(529);
        assertThat(f.error().type()).isEqualTo("overloaded_error");
        assertThat(f.error().message()).contains("Overloaded");
    }

    @Test
    void anUnreadableFirstEventIsMalformed() {
        assertThat(((AttemptFailure) anthropic("message_start", "{oops")).kind()).isEqualTo("stream_malformed");
        assertThat(((AttemptFailure) chat("{\"id\": not json")).kind()).isEqualTo("stream_malformed");
    }

    @Test
    void openAiRoleChunkIsHeldAndTheFirstTextIsContent() {
        assertThat(chat("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"finish_reason\":null}]}"))
                .isSameAs(FirstContent.OPENING);
        assertThat(chat("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}")).isSameAs(FirstContent.CONTENT);
        assertThat(chat("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[]},\"finish_reason\":null}]}")).isSameAs(FirstContent.CONTENT);
        assertThat(chat("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}")).isSameAs(FirstContent.CONTENT);
        assertThat(chat("[DONE]")).isSameAs(FirstContent.CONTENT);
    }

    @Test
    void openAiInBandServerErrorIsARefusal() {
        AttemptFailure f = (AttemptFailure) chat("{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}");
        assertThat(f.error().status()).isEqualTo(500);
        assertThat(f.error().type()).isEqualTo("server_error");
    }

    @Test
    void responsesEvents() {
        assertThat(responses("response.created", "{\"type\":\"response.created\",\"response\":{}}")).isSameAs(FirstContent.OPENING);
        assertThat(responses("response.in_progress", "{}")).isSameAs(FirstContent.OPENING);
        assertThat(responses("response.output_text.delta", "{}")).isSameAs(FirstContent.CONTENT);
        AttemptFailure f = (AttemptFailure) responses("error", "{\"type\":\"error\",\"code\":\"server_error\",\"message\":\"boom\"}");
        assertThat(f.error().type()).isEqualTo("server_error");
        AttemptFailure failed = (AttemptFailure) responses("response.failed",
                "{\"type\":\"response.failed\",\"response\":{\"error\":{\"code\":\"server_error\",\"message\":\"boom\"}}}");
        assertThat(failed.kind()).isEqualTo("stream_error");
    }
}
