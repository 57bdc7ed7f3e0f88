package dev.tollgate.gateway.cache;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.AsciiHeaders;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.ReplySink;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;

/**
 * The leader's sink: passes the reply on to its own client, marked {@code x-tollgate-cache: miss} (or {@code bypass})
 * and records every event in the {@link Flight} for waiters and for the cache. Sits outside metering, so it sees the
 * priced usage and the cost comment that metering adds to streams.
 */
final class RecordingSink extends ReplySink.Forwarding {

    private static final byte[] COST_COMMENT = (": " + Replay.COST_HEADER + "=").getBytes(StandardCharsets.US_ASCII);

    /**
     * What happens once the flight is over: after {@link ReplyEvent.End} is published when it completed, but before
     * {@link ReplyEvent.Fail} is, so that a waiter retrying after the failure never finds the failed flight again.
     */
    interface Landing {
        void landed(Flight flight, boolean completed);
    }

    private final Exchange exchange;
    private final Flight flight;
    private final String outcome;
    private final Landing landing;

    RecordingSink(ReplySink next, Exchange exchange, Flight flight, String outcome, Landing landing) {
        super(next);
        this.exchange = exchange;
        this.flight = flight;
        this.outcome = outcome;
        this.landing = landing;
    }

    @Override
    public void usage(Usage usage, String servedModel, boolean estimated) {
        next.usage(usage, servedModel, estimated);
        flight.publish(new ReplyEvent.Usage(usage, servedModel, estimated, exchange.cost(), exchange.priceVersion()));
    }

    @Override
    public void start(int status, MultiMap headers) {
        if (outcome != null) headers.set(Replay.CACHE_NAME, outcome);
        flight.publish(new ReplyEvent.Start(status, headers.get(AsciiHeaders.CONTENT_TYPE), headers.get(HttpHeaderNames.CACHE_CONTROL)));
        next.start(status, headers);
    }

    @Override
    public void data(Buffer chunk) {
        flight.publish(exchange.stream() && startsWith(chunk, COST_COMMENT)
                ? new ReplyEvent.CostComment() : new ReplyEvent.Data(chunk.getBytes()));
        next.data(chunk);
    }

    @Override
    public void end() {
        next.end();
        // a complete answer with an error status is played to waiters as it is; the landing never stores it
        flight.publish(new ReplyEvent.End());
        landing.landed(flight, true);
    }

    @Override
    public void fail(GatewayError error) {
        next.fail(error);
        landing.landed(flight, false);
        flight.publish(new ReplyEvent.Fail(error));
    }

    private static boolean startsWith(Buffer chunk, byte[] prefix) {
        if (chunk.length() < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) {
            if (chunk.getByte(i) != prefix[i]) return false;
        }
        return true;
    }
}
