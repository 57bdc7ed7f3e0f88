package dev.tollgate.gateway;

import dev.tollgate.core.usage.Usage;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

import java.util.function.Supplier;

/**
 * Where a reply goes, in the client's wire format. Stages wrap the sink they are given to observe or change the
 * reply (metering prices {@link #usage}, a cache records {@link #data}); the outermost sink writes to the socket.
 *
 * <p>Order: for a complete body, {@code usage → start → data → end}; for a stream, {@code start → data… →
 * usage → data… → end}; {@link #fail} may come at any point instead of the rest. Streams deliver one whole
 * server-sent event per {@link #data} call.
 */
public interface ReplySink {

    /** What the call used, as the provider reported it or, when {@code estimated}, as counted locally. */
    void usage(Usage usage, String servedModel, boolean estimated);

    /**
     * {@link #usage} with the provider's {@code reported} usage or, where it reported none the gateway can bill
     * (null), the {@code estimate} counted locally, marked estimated. Returns what was reported.
     */
    default Usage usageOrEstimate(Usage reported, String servedModel, Supplier<Usage> estimate) {
        Usage billed = reported != null ? reported : estimate.get();
        usage(billed, servedModel, reported == null);
        return billed;
    }

    /** The response head. {@code headers} is mutable until passed on. */
    void start(int status, MultiMap headers);

    void data(Buffer chunk);

    void end();

    /** The call failed; before {@link #start} the client gets this error, after it the stream is cut. */
    void fail(GatewayError error);

    /** A sink that passes everything on; stages override what they observe. */
    abstract class Forwarding implements ReplySink {
        protected final ReplySink next;

        protected Forwarding(ReplySink next) {
            this.next = next;
        }

        @Override public void usage(Usage usage, String servedModel, boolean estimated) { next.usage(usage, servedModel, estimated); }
        @Override public void start(int status, MultiMap headers) { next.start(status, headers); }
        @Override public void data(Buffer chunk) { next.data(chunk); }
        @Override public void end() { next.end(); }
        @Override public void fail(GatewayError error) { next.fail(error); }
    }
}
