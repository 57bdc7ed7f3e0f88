package dev.tollgate.gateway.translate;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.sse.SseEvent;
import dev.tollgate.gateway.sse.SseParser;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * A Responses API client to a provider that only speaks Chat Completions ({@code responses: chat}). Rather than a
 * third translation, it composes the two that exist, through Anthropic's Messages shape as the pivot: the request
 * goes Responses → Messages → Chat, the answer (or each stream event) Chat → Messages → Responses. Only the outer
 * step reports usage to the client's sink; the inner one's estimate flag is carried over.
 */
public final class ResponsesOverChat implements Translation {

    private final ResponsesOverAnthropic outer;

    public ResponsesOverChat(int defaultMaxTokens) {
        this.outer = new ResponsesOverAnthropic(defaultMaxTokens);
    }

    @Override
    public Api upstreamApi(Api clientApi) {
        return Api.OPENAI_CHAT;
    }

    @Override
    public Buffer requestBody(Exchange exchange) {
        String model = exchange.route().model();
        return Json.buffer(MessagesOverOpenAi.toChat(outer.messagesRequest(exchange), model));
    }

    @Override
    public void complete(Exchange exchange, Buffer body, ReplySink sink) {
        Pivot pivot = new Pivot();
        MessagesOverOpenAi.INSTANCE.complete(exchange, body, pivot);
        outer.complete(exchange, pivot.body, pivot.carryEstimate(sink));
    }

    @Override
    public StreamRelay stream(Exchange exchange) {
        StreamRelay inner = MessagesOverOpenAi.INSTANCE.stream(exchange);
        StreamRelay responses = outer.stream(exchange);
        Pivot pivot = new Pivot();
        return new StreamRelay() {
            private ReplySink client;

            {
                SseParser parser = new SseParser(event -> responses.event(event, client));
                pivot.onData = parser::feed;
            }

            @Override
            public void event(SseEvent event, ReplySink sink) {
                if (client == null) client = pivot.carryEstimate(sink);
                inner.event(event, pivot);
            }

            @Override
            public void finish(ReplySink sink, Throwable cause) {
                if (client == null) client = pivot.carryEstimate(sink);
                inner.finish(pivot, cause);
                responses.finish(client, cause);
            }
        };
    }

    /** The Messages-shaped middle: collects what the inner translation writes and whether its usage was estimated. */
    private static final class Pivot implements ReplySink {
        Buffer body = Buffer.buffer();
        boolean estimated;
        java.util.function.Consumer<Buffer> onData;

        @Override
        public void usage(Usage usage, String servedModel, boolean estimated) {
            this.estimated |= estimated;
        }

        @Override
        public void start(int status, MultiMap headers) {
        }

        @Override
        public void data(Buffer chunk) {
            if (onData != null) onData.accept(chunk);
            else body.appendBuffer(chunk);
        }

        @Override
        public void end() {
        }

        @Override
        public void fail(GatewayError error) {
        }

        ReplySink carryEstimate(ReplySink sink) {
            return new Forwarding(sink) {
                @Override
                public void usage(Usage usage, String servedModel, boolean estimated) {
                    next.usage(usage, servedModel, estimated || Pivot.this.estimated);
                }
            };
        }
    }
}
