package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.AsciiHeaders;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.sse.SseEvent;
import io.vertx.core.buffer.Buffer;


/**
 * An Anthropic-format client to an Anthropic provider: bytes pass through; usage is read from the reply, or for
 * streams from {@code message_start} (input side) and the last {@code message_delta} (cumulative output).
 */
public final class AnthropicPassthrough implements Translation {

    public static final AnthropicPassthrough INSTANCE = new AnthropicPassthrough();

    @Override
    public Buffer requestBody(Exchange exchange) {
        String model = exchange.route().model();
        if (!model.equals(exchange.requestedModel())) {
            exchange.body().put("model", model);
            exchange.markBodyChanged();
        }
        return exchange.outgoingBody();
    }

    @Override
    public void complete(Exchange exchange, Buffer body, ReplySink sink) {
        AnswerHead head = AnswerHead.read(body, UsageFields::readAnthropic);
        sink.usageOrEstimate(head.usage(), head.model(),
                () -> PromptTokens.estimate(exchange, ChatOverAnthropic.generatedText(Json.tree(body))));
        sink.start(200, AsciiHeaders.json());
        sink.data(body);
        sink.end();
    }

    @Override
    public StreamRelay stream(Exchange exchange) {
        return new Relay(exchange);
    }

    private static final class Relay implements StreamRelay {
        private final StreamAccounting accounting;
        private final AnthropicStreamUsage usage = new AnthropicStreamUsage();
        private String model;
        private boolean usageReported;
        private boolean completed;

        Relay(Exchange exchange) {
            this.accounting = new StreamAccounting(exchange, usage);
        }

        @Override
        public void event(SseEvent event, ReplySink sink) {
            String type = event.event();
            String data = event.data();
            if (data != null && type != null) {
                switch (type) {
                    case "message_start" -> {
                        JsonNode message = Json.tree(data).path("message");
                        usage.start(message);
                        model = message.path("model").asText(null);
                    }
                    case "message_delta" -> usage.delta(Json.tree(data).path("usage"));
                    case "message_stop" -> {
                        completed = true;
                        Usage reported = usage.usage();
                        if (reported != null) { // else counted locally at the end
                            sink.usage(reported, model, false);
                            usageReported = true;
                        }
                    }
                    case "content_block_delta" -> accounting.remember(data);
                    default -> { }
                }
            }
            sink.data(event.raw());
        }

        @Override
        public void finish(ReplySink sink, Throwable cause) {
            accounting.finish(sink, cause, usageReported, completed, Relay::generatedText);
        }

        private static void generatedText(String data, StringBuilder out) {
            JsonNode delta = Json.tree(data).path("delta");
            out.append(delta.path("text").asText("")).append(delta.path("partial_json").asText(""));
        }
    }
}
