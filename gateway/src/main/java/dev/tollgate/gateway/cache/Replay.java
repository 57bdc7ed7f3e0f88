package dev.tollgate.gateway.cache;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.stage.MeteringStage;
import dev.tollgate.store.Ledger;
import io.netty.util.AsciiString;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

import java.math.BigDecimal;
import java.util.List;

/**
 * Plays recorded events to one client as an answer the gateway serves again: a cache hit, a coalesced waiter, or
 * a retry within the idempotency window. The client pays nothing ({@code x-tollgate-cost-usd: 0}, also in the
 * stream's cost comment) and the ledger gets a row with cost 0, no tokens billed, and the cost it avoided.
 *
 * <p>Runs on the client's own event loop: as a {@link Flight.Waiter} it hops there through {@code context}.
 */
final class Replay implements Flight.Waiter {

    static final String CACHE_HEADER = "x-tollgate-cache";
    /** As ASCII, for the answers that set it: hashed once, copied whole. */
    static final AsciiString CACHE_NAME = AsciiString.cached(CACHE_HEADER);
    static final String COST_HEADER = "x-tollgate-cost-usd";
    static final String SAVED_HEADER = "x-tollgate-saved-usd";
    static final String SIMILARITY_HEADER = "x-tollgate-cache-similarity";

    /** What a waiter does when the call it waited for failed before anything was sent: try itself, once. */
    interface Retry {
        void run();
    }

    private final Exchange exchange;
    private final ReplySink sink;
    private final String outcome;
    private final Ledger ledger;
    private final Context context;
    private final Retry retry;

    private String servedModel;
    private String priceVersion;
    private BigDecimal saved = BigDecimal.ZERO;
    private boolean started;
    private boolean done;
    /** For an answer to a near-duplicate question: how similar the questions were; else negative. */
    private double similarity = -1;

    /**
     * @param outcome "hit", "coalesced" or "idempotent": the response header and the ledger's cache column
     * @param retry   null: a failure of the awaited call is passed on to the client
     */
    Replay(Exchange exchange, ReplySink sink, String outcome, Ledger ledger, Context context, Retry retry) {
        this.exchange = exchange;
        this.sink = sink;
        this.outcome = outcome;
        this.ledger = ledger;
        this.context = context;
        this.retry = retry;
    }

    /** Marks the replay as the answer to a near-duplicate question (ledger: {@code near_hit}). */
    Replay near(double similarity) {
        this.similarity = similarity;
        return this;
    }

    /** A stored answer, played at once on the calling event loop. */
    void play(CachedReply reply) {
        saved = reply.cost();
        for (ReplyEvent e : reply.events()) apply(e);
    }

    @Override
    public void deliver(List<ReplyEvent> events) {
        context.runOnContext(v -> {
            for (ReplyEvent e : events) apply(e);
        });
    }

    private void apply(ReplyEvent event) {
        if (done) return;
        switch (event) {
            case ReplyEvent.Usage u -> {
                servedModel = u.servedModel();
                priceVersion = u.priceVersion();
                if (u.cost() != null) saved = u.cost();
                sink.usage(u.usage(), u.servedModel(), u.estimated());
            }
            case ReplyEvent.Start s -> {
                started = true;
                exchange.status(s.status());
                MultiMap headers = MultiMap.caseInsensitiveMultiMap();
                if (s.contentType() != null) headers.set("content-type", s.contentType());
                if (s.cacheControl() != null) headers.set("cache-control", s.cacheControl());
                headers.set(CACHE_HEADER, outcome);
                headers.set(COST_HEADER, "0");
                if (saved.signum() > 0) headers.set(SAVED_HEADER, format(saved));
                if (similarity >= 0) headers.set(SIMILARITY_HEADER, String.format(java.util.Locale.ROOT, "%.3f", similarity));
                sink.start(s.status(), headers);
            }
            case ReplyEvent.Data d -> {
                exchange.firstByte(System.nanoTime());
                sink.data(Buffer.buffer(d.bytes()));
            }
            case ReplyEvent.CostComment c ->
                    sink.data(Buffer.buffer(": " + COST_HEADER + "=0 " + outcome + " saved=" + format(saved) + "\n\n"));
            case ReplyEvent.End e -> {
                done = true;
                record(null); // queued before the last byte, so a client that then asks for its spend finds it
                sink.end();
            }
            case ReplyEvent.Fail f -> {
                done = true;
                if (!started && retry != null) {
                    retry.run();
                    return;
                }
                GatewayError error = f.error();
                if (!started) exchange.status(error.status());
                record(error.message());
                sink.fail(error);
            }
        }
    }

    private void record(String error) {
        // tokens stay 0: nothing was billed for this request; what the original call cost is saved_usd
        exchange.usage(Usage.ZERO, servedModel, false);
        exchange.priced(BigDecimal.ZERO, priceVersion);
        exchange.error(error);
        ledger.append(MeteringStage.row(exchange, similarity >= 0 ? "near_hit" : outcome, error == null ? saved : BigDecimal.ZERO));
    }

    static String format(BigDecimal usd) {
        return usd.signum() == 0 ? "0" : usd.stripTrailingZeros().toPlainString();
    }
}
