package dev.tollgate.gateway.cache;

import dev.tollgate.gateway.GatewayError;

import java.math.BigDecimal;

/**
 * One call on a {@link dev.tollgate.gateway.ReplySink}, recorded so that it can be played again to other clients,
 * on other event loops: plain values only, bytes rather than buffers.
 */
sealed interface ReplyEvent {

    /** Bytes an event keeps in memory beyond its payload (object headers, references). */
    int OVERHEAD = 48;

    default long weight() {
        return OVERHEAD;
    }

    /** The usage the provider reported and what the original call cost (what an answer served again saves). */
    record Usage(dev.tollgate.core.usage.Usage usage, String servedModel, boolean estimated, BigDecimal cost,
                 String priceVersion) implements ReplyEvent {
    }

    /** The response head; only what describes the body is kept (not the provider's request id or rate limits). */
    record Start(int status, String contentType, String cacheControl) implements ReplyEvent {
    }

    record Data(byte[] bytes) implements ReplyEvent {
        @Override
        public long weight() {
            return OVERHEAD + bytes.length;
        }
    }

    /** Where the stream carried its {@code : x-tollgate-cost-usd=} comment; played again with the new cost. */
    record CostComment() implements ReplyEvent {
    }

    record End() implements ReplyEvent {
    }

    record Fail(GatewayError error) implements ReplyEvent {
    }
}
