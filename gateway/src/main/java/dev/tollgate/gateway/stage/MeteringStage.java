package dev.tollgate.gateway.stage;

import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.route.Route;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.gateway.AsciiHeaders;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Prices what a call used, by the price in force when the request arrived, tells the client
 * ({@code x-tollgate-cost-usd} header, or a trailing SSE comment on streams) and appends one ledger row
 * however the call ended.
 */
public final class MeteringStage implements Stage {

    public static final String COST_HEADER = "x-tollgate-cost-usd";
    private static final AsciiString COST_NAME = AsciiString.cached(COST_HEADER);
    /** The ledger's status for a client that hung up before its reply was complete (nginx's convention). */
    public static final int CLIENT_CLOSED = 499;
    /** The price version of a call to a model the config marks {@code free: true}. */
    public static final String FREE = "free";
    private static final Logger log = LoggerFactory.getLogger(MeteringStage.class);

    private final Supplier<PriceCatalog> catalog;
    private final Ledger ledger;
    private final Set<String> warnedUnpriced = ConcurrentHashMap.newKeySet();
    /** The last price entry used and its version: nearly every call is priced by the same entry as the one before. */
    private volatile Versioned lastPrice;

    private record Versioned(ModelPrice price, String version) {
    }

    public MeteringStage(Supplier<PriceCatalog> catalog, Ledger ledger) {
        this.catalog = catalog;
        this.ledger = ledger;
    }

    @Override
    public void handle(Exchange exchange, ReplySink sink, Chain next) {
        if (ledger.health().refusing()) {
            // neither memory nor the spool can keep another row: serving would be spend nobody records
            sink.fail(GatewayError.ledgerUnavailable());
            return;
        }
        next.proceed(exchange, new MeteringSink(exchange, sink));
    }

    /**
     * Prices usage for an exchange; the served model is the fallback when the route's model has no price. A model the
     * config marks free costs 0 by design ({@value #FREE}); one with no price costs 0 too, but the row says unpriced.
     * A call served at an OpenAI service tier ({@link Exchange#serviceTier()}) is billed at that tier's rates, and
     * counts as unpriced when its price has none for the tier.
     */
    void price(Exchange exchange, Usage usage, String servedModel) {
        if (exchange.route().free()) {
            exchange.priced(BigDecimal.ZERO, FREE);
            return;
        }
        PriceCatalog prices = catalog.get();
        String pricedAs = exchange.route().pricedAs();
        Optional<ModelPrice> price = prices.priceAt(pricedAs, exchange.arrivedAt());
        if (price.isEmpty() && servedModel != null) price = prices.priceAt(servedModel, exchange.arrivedAt());
        if (price.isEmpty()) {
            if (warnedUnpriced.add(pricedAs)) {
                log.warn("no price for model '{}': its calls are metered at $0 and marked unpriced until a price is added (prices: in the config)", pricedAs);
            }
            exchange.priced(BigDecimal.ZERO, null);
            exchange.unpriced(true);
            return;
        }
        String serviceTier = exchange.serviceTier();
        Optional<ModelPrice> billed = price.get().atServiceTier(serviceTier);
        if (billed.isEmpty()) {
            // OpenAI bills flex and priority at their own rates: standard ones would be wrong money either way
            if (warnedUnpriced.add(price.get().model() + ":" + serviceTier)) {
                log.warn("no price for model '{}' at service tier '{}': those calls are metered at $0 and marked unpriced until"
                        + " service_tiers: {}: {{…}} is added to its price (prices: in the config)", price.get().model(), serviceTier, serviceTier);
            }
            exchange.priced(BigDecimal.ZERO, null);
            exchange.unpriced(true);
            return;
        }
        exchange.priced(billed.get().cost(usage).total(), version(billed.get()));
        if (exchange.tier() != null && exchange.downgradedFrom() == null) {
            // a tier served it: the same usage at the baseline's price (the model asked for, or the flagship) is what
            // it saved; negative when the tier costs more
            Route baseline = exchange.tier().model().baseline();
            if (baseline.free()) {
                exchange.savedByRouting(exchange.cost().negate());
            } else {
                prices.priceAt(baseline.pricedAs(), exchange.arrivedAt()).flatMap(p -> p.atServiceTier(serviceTier)).ifPresent(asked ->
                        exchange.savedByRouting(asked.cost(usage).total().subtract(exchange.cost())));
            }
        }
        if (exchange.downgradedFrom() != null) {
            // a budget served a cheaper model: the same usage at the price of the model asked for is what it saved
            prices.priceAt(exchange.downgradedFrom().pricedAs(), exchange.arrivedAt()).flatMap(p -> p.atServiceTier(serviceTier)).ifPresent(asked ->
                    exchange.savedByRouting(asked.cost(usage).total().subtract(exchange.cost()).max(BigDecimal.ZERO)));
        }
    }

    /** {@link ModelPrice#version()}, made once per entry rather than once per call (a service tier's is made per call). */
    private String version(ModelPrice price) {
        Versioned last = lastPrice;
        if (last == null || last.price() != price) lastPrice = last = new Versioned(price, price.version());
        return last.version();
    }

    public static String format(BigDecimal cost) {
        return cost.signum() == 0 ? "0" : cost.stripTrailingZeros().toPlainString();
    }

    private final class MeteringSink extends ReplySink.Forwarding {
        private final Exchange exchange;
        private boolean started;
        private boolean recorded;

        MeteringSink(Exchange exchange, ReplySink next) {
            super(next);
            this.exchange = exchange;
        }

        @Override
        public void usage(Usage usage, String servedModel, boolean estimated) {
            exchange.usage(usage, servedModel, estimated);
            price(exchange, usage, servedModel);
            next.usage(usage, servedModel, estimated);
            if (started && exchange.stream()) {
                next.data(Buffer.buffer(": " + COST_HEADER + "=" + format(exchange.cost())
                        + (estimated ? " estimated" : "") + "\n\n"));
            }
        }

        @Override
        public void start(int status, MultiMap headers) {
            started = true;
            exchange.status(status);
            if (exchange.cost() != null) headers.set(COST_NAME, AsciiHeaders.of(format(exchange.cost())));
            next.start(status, headers);
        }

        @Override
        public void data(Buffer chunk) {
            exchange.firstByte(System.nanoTime());
            next.data(chunk);
        }

        @Override
        public void end() {
            judge(null);
            record(next::end);
        }

        @Override
        public void fail(GatewayError error) {
            if (!started) exchange.status(error.status());
            exchange.error(error.message());
            judge(error);
            record(() -> next.fail(error));
        }

        /** A cascade's verdict on this attempt, before its row is written: it says whether the attempt is escalated. */
        private void judge(GatewayError failure) {
            if (!recorded && exchange.verdict() != null) exchange.attemptReason(exchange.verdict().judge(failure));
        }

        /**
         * Queues the row, then lets {@code reply} finish the answer: a client that reads its answer and then asks the
         * admin API for its spend always finds it. Meters and watches see the row after the answer is out.
         */
        private void record(Runnable reply) {
            if (recorded) {
                reply.run();
                return;
            }
            recorded = true;
            ledger.append(row(exchange, null, exchange.savedByRouting()), reply);
        }
    }

    /**
     * The configured models that cannot be priced at {@code at} (no catalog price for what they are priced as, and not
     * marked free), as one line for the start-up log; empty when every model is priced.
     */
    public static Optional<String> unpricedWarning(List<Route> routes, PriceCatalog catalog, Instant at) {
        List<String> unpriced = routes.stream().filter(r -> !r.free() && catalog.priceAt(r.pricedAs(), at).isEmpty())
                .map(r -> r.name().equals(r.pricedAs()) ? r.name() : r.name() + " (priced as " + r.pricedAs() + ")").toList();
        if (unpriced.isEmpty()) return Optional.empty();
        return Optional.of("no price for model" + (unpriced.size() == 1 ? " " : "s ") + String.join(", ", unpriced)
                + ": requests a budget applies to are refused (403 model_not_priced), others are metered at $0 and marked"
                + " unpriced; add a price under prices: in the config, point a model's price_as at a priced model, or mark it"
                + " free: true if its cost is counted elsewhere");
    }

    /**
     * The ledger row of an exchange as it stands, ending now: its usage, cost and status, or 499 when the client hung
     * up first. {@code cache} and {@code saved} say how an answer served again by the cache was served and what it
     * saved (for a provider call: null, and what a budget's downgrade to a cheaper model saved).
     */
    public static LedgerEntry row(Exchange exchange, String cache, BigDecimal saved) {
        long now = System.nanoTime();
        long ttft = exchange.firstByteNanos() < 0 ? -1 : (exchange.firstByteNanos() - exchange.arrivedNanos()) / 1000;
        return new LedgerEntry(exchange.arrivedAt(), exchange.requestId(), exchange.principal().keyName(),
                exchange.tags(), exchange.api().ledgerName(), exchange.route().provider().name(),
                exchange.route().name(), exchange.requestedModel(), exchange.servedModel(), exchange.usage(),
                exchange.cost(), exchange.priceVersion(), exchange.clientGone() ? CLIENT_CLOSED : exchange.status(),
                exchange.clientGone() ? "the client closed the connection before the reply was complete" : exchange.error(),
                (now - exchange.arrivedNanos()) / 1000, ttft, exchange.stream(), exchange.estimated(), cache, saved,
                exchange.unpriced(),
                exchange.attempt() == 0 ? null : new LedgerEntry.Attempt(exchange.attempt(), exchange.attemptReason(), exchange.route().model()));
    }

    /**
     * The row of an attempt at a route that failed before the client saw anything and was followed by another: nothing
     * used, nothing charged, its status and error, and {@code reason} (the failure's kind). It shares the request's id.
     */
    public static LedgerEntry attemptRow(Exchange exchange, int status, String error, String reason, long startedNanos) {
        return new LedgerEntry(exchange.arrivedAt(), exchange.requestId(), exchange.principal().keyName(),
                exchange.tags(), exchange.api().ledgerName(), exchange.route().provider().name(),
                exchange.route().name(), exchange.requestedModel(), null, Usage.ZERO, BigDecimal.ZERO, null, status, error,
                (System.nanoTime() - startedNanos) / 1000, -1, exchange.stream(), false, null, BigDecimal.ZERO, false,
                new LedgerEntry.Attempt(exchange.attempt(), reason, exchange.route().model()));
    }
}
