package dev.tollgate.gateway.translate;

import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.sse.SseEvent;
import io.vertx.core.buffer.Buffer;

/**
 * Carries one client API over one provider dialect: the request body to send, and the reply turned back into the
 * client's format with the provider's usage reported to the sink. Same-format pairs pass bytes through untouched;
 * cross-format pairs translate. Implementations are stateless; per-stream state lives in a {@link StreamRelay}.
 */
public interface Translation {

    /** The provider route this translation calls for a client calling {@code clientApi}. */
    default Api upstreamApi(Api clientApi) {
        return clientApi;
    }

    /** The body to send upstream. Throws {@link UntranslatableException} for what the provider cannot carry. */
    Buffer requestBody(Exchange exchange);

    /** A complete (non-streamed) successful upstream body. */
    void complete(Exchange exchange, Buffer body, ReplySink sink);

    /** State for relaying one streamed reply. */
    StreamRelay stream(Exchange exchange);

    /** Relays one upstream event stream to the client, event by event. */
    interface StreamRelay {

        void event(SseEvent event, ReplySink sink);

        /** The upstream stopped sending: {@code cause} is null when it closed cleanly. Called once. */
        void finish(ReplySink sink, Throwable cause);
    }

    /** A request field the target provider has no equivalent for; answered with 400 naming the field. */
    final class UntranslatableException extends RuntimeException {
        private final String param;

        public UntranslatableException(String param, String message) {
            super(message);
            this.param = param;
        }

        public String param() {
            return param;
        }
    }
}
