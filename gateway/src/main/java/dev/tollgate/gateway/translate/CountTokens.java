package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.tokens.TokenCounter;
import dev.tollgate.gateway.AsciiHeaders;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.sse.SseEvent;
import io.vertx.core.buffer.Buffer;

/**
 * Anthropic's {@code POST /v1/messages/count_tokens}. An Anthropic provider counts for itself: the request goes on
 * with the model renamed and the answer comes back untouched. For any other provider the gateway counts the
 * request as it would be sent there (translated to Chat Completions), with that model's tokenizer.
 */
public final class CountTokens implements Translation {

    public static final CountTokens INSTANCE = new CountTokens();

    private CountTokens() {
    }

    @Override
    public Buffer requestBody(Exchange exchange) {
        return AnthropicPassthrough.INSTANCE.requestBody(exchange);
    }

    @Override
    public void complete(Exchange exchange, Buffer body, ReplySink sink) {
        sink.start(200, AsciiHeaders.json());
        sink.data(body);
        sink.end();
    }

    @Override
    public StreamRelay stream(Exchange exchange) {
        return new StreamRelay() { // count_tokens never streams; relay whatever comes, untouched
            @Override
            public void event(SseEvent event, ReplySink sink) {
                sink.data(event.raw());
            }

            @Override
            public void finish(ReplySink sink, Throwable cause) {
                sink.end();
            }
        };
    }

    /** The input tokens an OpenAI-format {@code model} would bill for this Anthropic-format request. */
    public static long overOpenAi(JsonNode request, String model) {
        TokenCounter counter = TokenCounter.forModel(model);
        return PromptTokens.count(Api.OPENAI_CHAT, MessagesOverOpenAi.toChat(request, model), counter);
    }
}
