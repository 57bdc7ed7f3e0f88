package dev.tollgate.gateway.stage;

import dev.tollgate.core.tokens.TokenCounter;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.budget.BudgetBook;
import dev.tollgate.gateway.budget.BudgetService;
import dev.tollgate.gateway.budget.Leases;
import dev.tollgate.gateway.budget.RateLimitHeaders;
import dev.tollgate.gateway.budget.RateLimiter;
import dev.tollgate.gateway.budget.RedisCounters;
import dev.tollgate.gateway.route.Route;
import dev.tollgate.gateway.translate.PromptTokens;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link BudgetStage}'s decisions made in Redis, so that every replica sharing it enforces the same budgets and rate
 * limits. A request costs one round trip before the provider call: one Lua script takes from the rate-limit buckets and
 * reserves the worst case on every budget, all or nothing. After the answer one more script settles the budgets to the
 * real cost and corrects the token take; it is sent without being waited for, on the same ordered connection. Only a
 * budget that downgrades or notifies and is over costs a second trip (the forced reservation). Nothing here blocks:
 * each Redis answer is handed back to the request's own event loop. The prompt is always counted exactly.
 *
 * <p>When Redis does not answer (down, or slower than {@code timeout_ms}): fail closed (default) refuses the request
 * with 503 {@code spend_controls_unavailable} before anything is spent; fail open lets it through uncounted and logs.
 */
final class SharedBudgets {

    private static final Logger log = LoggerFactory.getLogger(SharedBudgets.class);
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;

    private final BudgetStage stage;
    private final BudgetService service;
    private final RedisCounters redis;
    private final AtomicLong lastLogged = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);

    SharedBudgets(BudgetStage stage, BudgetService service) {
        this.stage = stage;
        this.service = service;
        this.redis = service.redis();
    }

    void handle(Exchange exchange, ReplySink sink, Stage.Chain next, List<RateLimiter.Buckets> rates, List<BudgetBook.Entry> budgets) {
        if (rates.isEmpty() && budgets.isEmpty()) {
            next.proceed(exchange, sink);
            return;
        }
        Context context = Vertx.currentContext();
        long maxOutput = stage.maxOutputTokens(exchange);
        List<RedisCounters.Target> targets = new ArrayList<>(budgets.size());
        for (BudgetBook.Entry e : budgets) targets.add(new RedisCounters.Target(e, e.window(exchange.arrivedAt())));
        // most requests: counted on this replica's slices, with the bound that needs no tokenizer (a prompt has no more
        // tokens than its body has bytes, its images held at their most); settling replaces it by the real cost, so the bound only uses slice room
        long promptBound = BudgetStage.promptBound(exchange);
        long bound = promptBound + maxOutput;
        List<RedisCounters.Bucket> boundTake = buckets(rates, bound, 1);
        BigDecimal boundWorst = targets.isEmpty() ? BigDecimal.ZERO
                : stage.worstCase(exchange, promptBound, maxOutput, stage.cacheWrites(exchange));
        Leases.Ticket ticket = service.leases().admit(targets, boundWorst, boundTake, bound);
        if (ticket != null) {
            next.proceed(exchange, new LeasedSink(exchange, sink, ticket, targets, boundTake));
            return;
        }
        long prompt = PromptTokens.worstCase(exchange.api(), exchange.body(), TokenCounter.forModel(exchange.route().model()),
                exchange.route().model());
        long tokens = prompt + maxOutput;
        List<RedisCounters.Bucket> take = buckets(rates, tokens, 1);
        BigDecimal worst = targets.isEmpty() ? BigDecimal.ZERO : stage.worstCase(exchange, prompt, maxOutput, stage.cacheWrites(exchange));
        // the one round trip before the provider call: rate limits and every budget in one script
        redis.check(take, targets, worst, false, exchange.requestId()).onComplete(on(context, ar -> {
            if (ar.failed()) {
                // it may have been applied after all (a timeout): give it back if so; the lease covers a lost release
                if (!targets.isEmpty()) redis.settle(targets, exchange.requestId(), BigDecimal.ZERO);
                unavailable(exchange, sink, next, ar.cause());
                return;
            }
            RedisCounters.Buckets taken = take.isEmpty() ? null : ar.result().buckets();
            if (taken != null && !taken.allowed()) {
                sink.fail(rateLimited(take, taken));
                return;
            }
            Request request = new Request(exchange, sink, next, context, rates, take, taken, targets, prompt, maxOutput, tokens);
            if (targets.isEmpty()) next.proceed(exchange, new SharedSink(request, null, null, null));
            else reserved(request, null, worst, ar.result().reserve());
        }));
    }

    /** One request on its way through: what it asked for and what it took from the rate limits. */
    private record Request(Exchange exchange, ReplySink sink, Stage.Chain next, Context context, List<RateLimiter.Buckets> rates,
                           List<RedisCounters.Bucket> take, RedisCounters.Buckets taken, List<RedisCounters.Target> targets,
                           long prompt, long maxOutput, long tokens) {
    }

    /** Reserves the worst case on every budget; a budget that may go over is forced only on the second try, after a downgrade. */
    private void reserve(Request q, boolean force, String downgradedFrom) {
        BigDecimal worst = stage.worstCase(q.exchange, q.prompt, q.maxOutput, stage.cacheWrites(q.exchange));
        redis.reserve(q.targets, worst, force, q.exchange.requestId()).onComplete(on(q.context, ar -> {
            if (ar.failed()) {
                giveBack(q, true);
                // it may have been applied after all (a timeout): give it back if so; the lease covers a lost release
                redis.settle(q.targets, q.exchange.requestId(), BigDecimal.ZERO);
                unavailable(q.exchange, q.sink, q.next, ar.cause());
                return;
            }
            reserved(q, downgradedFrom, worst, ar.result());
        }));
    }

    /** Goes on from a reservation's outcome: refuses, downgrades and forces, or sends the request on. */
    private void reserved(Request q, String downgradedFrom, BigDecimal worst, RedisCounters.Reserve r) {
        if (r.blockedBy() >= 0) {
            BudgetBook.Entry blocked = q.targets.get(r.blockedBy()).entry();
            observe(q.targets.get(r.blockedBy()), r.counters().getFirst());
            RedisCounters.Counters c = r.counters().getFirst();
            if (!r.exhausted().isEmpty()) service.alert(blocked, List.of(100), c.spent());
            if (!r.refused().isEmpty()) service.alertRefused(blocked, worst, c.spent(), c.reserved());
            giveBack(q, false); // the request counts against requests per minute, as in-process
            q.sink.fail(BudgetStage.budgetExceeded(blocked, worst, q.exchange.arrivedAt()));
            return;
        }
        if (!r.reserved()) {
            List<BudgetBook.Entry> over = r.over().stream().map(i -> q.targets.get(i).entry()).toList();
            Optional<Route> cheaper = downgradedFrom == null ? stage.downgrade(over, q.exchange.arrivedAt(), q.exchange.requestedServiceTier()) : Optional.empty();
            if (cheaper.isPresent() && !cheaper.get().name().equals(q.exchange.route().name())) {
                String from = q.exchange.route().name();
                q.exchange.downgradedFrom(q.exchange.route()); // metering records what the cheaper model saved
                q.exchange.route(cheaper.get());
                reserve(q, true, from);
            } else {
                reserve(q, true, downgradedFrom);
            }
            return;
        }
        for (int i = 0; i < q.targets.size(); i++) observe(q.targets.get(i), r.counters().get(i));
        for (int i : r.exhausted()) service.alert(q.targets.get(i).entry(), List.of(100), r.counters().get(i).spent());
        // the counters include this request's own hold: what was held before it is less by its worst case
        for (int i : r.refused()) {
            RedisCounters.Counters c = r.counters().get(i);
            service.alertRefused(q.targets.get(i).entry(), worst, c.spent(), c.reserved().subtract(worst).max(BigDecimal.ZERO));
        }
        q.next.proceed(q.exchange, new SharedSink(q, r, worst, downgradedFrom));
    }

    private static void observe(RedisCounters.Target t, RedisCounters.Counters c) {
        if (c != null) t.entry().observe(t.window().start(), c.spent(), c.reserved());
    }

    /** Gives the token take back (and the request too, if {@code request}), as for a request that is not sent. */
    private void giveBack(Request q, boolean request) {
        List<RedisCounters.Bucket> back = buckets(q.rates, q.tokens, request ? 1 : 0);
        if (!back.isEmpty() && q.taken != null) redis.adjust(back).onFailure(e -> logFailure("give back rate-limit takes", e));
    }

    private void unavailable(Exchange exchange, ReplySink sink, Stage.Chain next, Throwable cause) {
        if (redis.settings().failOpen()) {
            logFailure("count request " + exchange.requestId() + " (let through uncounted: on_failure open)", cause);
            next.proceed(exchange, sink);
            return;
        }
        logFailure("check request " + exchange.requestId() + " (refused with 503: on_failure closed)", cause);
        sink.fail(new GatewayError(503, "api_error", "spend_controls_unavailable",
                "budgets and rate limits cannot be checked right now (their shared counters in Redis did not answer), so the "
                        + "request was not sent; nothing was charged. Retry shortly.", null, Map.of("retry-after", "1")));
    }

    /** Logs a Redis failure at most every ten seconds, so an outage does not flood the log. */
    private void logFailure(String what, Throwable cause) {
        long now = System.nanoTime(), last = lastLogged.get();
        if (now - last >= LOG_EVERY_NANOS && lastLogged.compareAndSet(last, now)) {
            log.warn("Redis (spend_controls.redis) failed to {}: {}", what, cause.toString());
        }
    }

    /** The shared buckets of {@code rates}: {@code requests} from each request bucket, {@code tokens} from each token bucket. */
    private static List<RedisCounters.Bucket> buckets(List<RateLimiter.Buckets> rates, long tokens, long requests) {
        List<RedisCounters.Bucket> out = new ArrayList<>(rates.size() * 2);
        for (RateLimiter.Buckets b : rates) {
            if (b.requests() != null && requests != 0) out.add(new RedisCounters.Bucket(b.scope(), false, b.requests().perMinute(), requests));
            if (b.tokens() != null && tokens != 0) out.add(new RedisCounters.Bucket(b.scope(), true, b.tokens().perMinute(), tokens));
        }
        return out;
    }

    private static GatewayError rateLimited(List<RedisCounters.Bucket> take, RedisCounters.Buckets state) {
        RedisCounters.Bucket by = take.get(state.refused());
        return RateLimitHeaders.refused(by.scope(), by.tokens(), by.perMinute(), state.retryAfterMs() * 1_000_000,
                RateLimitHeaders.of(take, state));
    }

    /** Runs {@code handler} on the request's context (Redis answers on its own event loop). */
    private static <T> io.vertx.core.Handler<io.vertx.core.AsyncResult<T>> on(Context context,
                                                                               io.vertx.core.Handler<io.vertx.core.AsyncResult<T>> handler) {
        return ar -> {
            if (context == null || Vertx.currentContext() == context) handler.handle(ar);
            else context.runOnContext(v -> handler.handle(ar));
        };
    }

    /** A request counted on this replica's slices: settles there, and gives its headers from what the slices last saw. */
    private static final class LeasedSink extends ReplySink.Forwarding {
        private final Exchange exchange;
        private final Leases.Ticket ticket;
        private final List<RedisCounters.Target> targets;
        private final List<RedisCounters.Bucket> take;

        LeasedSink(Exchange exchange, ReplySink next, Leases.Ticket ticket, List<RedisCounters.Target> targets, List<RedisCounters.Bucket> take) {
            super(next);
            this.exchange = exchange;
            this.ticket = ticket;
            this.targets = targets;
            this.take = take;
        }

        @Override
        public void usage(Usage usage, String servedModel, boolean estimated) {
            ticket.settle(exchange.cost() == null ? BigDecimal.ZERO : exchange.cost(), usage.totalTokens());
            next.usage(usage, servedModel, estimated);
        }

        @Override
        public void start(int status, MultiMap headers) {
            BudgetBook.Entry tightest = null;
            BigDecimal least = null;
            for (RedisCounters.Target t : targets) {
                BigDecimal left = t.entry().remaining();
                if (least == null || left.compareTo(least) < 0) {
                    least = left;
                    tightest = t.entry();
                }
            }
            BudgetStage.budgetHeaders(headers, tightest, least, null);
            if (!take.isEmpty()) RateLimitHeaders.put(RateLimitHeaders.of(take, ticket.buckets()), headers);
            next.start(status, headers);
        }

        @Override
        public void end() {
            ticket.settle(BigDecimal.ZERO, 0);
            next.end();
        }

        @Override
        public void fail(GatewayError error) {
            ticket.settle(BigDecimal.ZERO, 0);
            next.fail(error);
        }
    }

    /** Settles the reservation in Redis when metering has priced the call, or releases it if it never was. */
    private final class SharedSink extends ReplySink.Forwarding {
        private final Request q;
        private final RedisCounters.Reserve reserved;
        private final BigDecimal worst;
        private final String downgradedFrom;
        private boolean settled;
        /** The call's real cost, once metering has priced it. */
        private BigDecimal cost;
        /** Tokens given back to the token buckets when the call used fewer than were taken (or, negative, taken on top). */
        private long tokensBack;

        SharedSink(Request q, RedisCounters.Reserve reserved, BigDecimal worst, String downgradedFrom) {
            super(q.sink);
            this.q = q;
            this.reserved = reserved;
            this.worst = worst;
            this.downgradedFrom = downgradedFrom;
        }

        @Override
        public void usage(Usage usage, String servedModel, boolean estimated) {
            cost = q.exchange.cost() == null ? BigDecimal.ZERO : q.exchange.cost();
            settle(cost, usage.totalTokens());
            next.usage(usage, servedModel, estimated);
        }

        @Override
        public void start(int status, MultiMap headers) {
            BudgetBook.Entry tightest = null;
            BigDecimal least = null;
            for (int i = 0; i < q.targets.size(); i++) {
                BudgetBook.Entry e = q.targets.get(i).entry();
                BigDecimal left = remainingAfterThisCall(i);
                if (least == null || left.compareTo(least) < 0) {
                    least = left;
                    tightest = e;
                }
            }
            BudgetStage.budgetHeaders(headers, tightest, least, downgradedFrom);
            if (q.taken != null) RateLimitHeaders.put(RateLimitHeaders.of(q.take, corrected()), headers);
            next.start(status, headers);
        }

        @Override
        public void end() {
            settle(BigDecimal.ZERO, 0);
            next.end();
        }

        @Override
        public void fail(GatewayError error) {
            settle(BigDecimal.ZERO, 0);
            next.fail(error);
        }

        /**
         * What budget {@code i} has left once this call is settled, as in process: from the counters its reservation
         * returned, with the worst case replaced by the real cost when it is known (still held while a stream has not
         * reported it). Computed here rather than read back, because the settle's answer races the reply's first byte.
         */
        private BigDecimal remainingAfterThisCall(int i) {
            BudgetBook.Entry e = q.targets.get(i).entry();
            if (reserved == null || i >= reserved.counters().size() || reserved.counters().get(i) == null) return e.remaining();
            RedisCounters.Counters c = reserved.counters().get(i);
            BigDecimal committed = c.spent().add(c.reserved());
            if (cost != null) committed = committed.subtract(worst).add(cost);
            BigDecimal left = e.budget().limitUsd().subtract(committed);
            return left.signum() < 0 ? BigDecimal.ZERO : left;
        }

        /** The buckets as this request left them: the take, corrected to what the call used if it is known yet. */
        private RedisCounters.Buckets corrected() {
            if (tokensBack == 0) return q.taken;
            long[] remaining = q.taken.remaining().clone();
            for (int i = 0; i < remaining.length; i++) {
                RedisCounters.Bucket b = q.take.get(i);
                if (b.tokens()) remaining[i] = Math.max(0, Math.min(b.perMinute(), remaining[i] + tokensBack));
            }
            return new RedisCounters.Buckets(-1, 0, remaining, q.taken.msUntilFull());
        }

        /**
         * Settles once, when metering has priced the call (or at the end if it never was): the budgets and the token
         * take's correction in one script, sent without waiting for its answer. It goes down the same ordered
         * connection as every reservation, ahead of the reply's end, so a client that waits for each answer never
         * finds its previous call's worst case still held. A settle that fails is logged; the lease gives the worst
         * case back later.
         */
        private void settle(BigDecimal cost, long tokensUsed) {
            if (settled) return;
            settled = true;
            List<RedisCounters.Bucket> correct = List.of();
            if (q.taken != null && q.tokens != tokensUsed) {
                tokensBack = q.tokens - tokensUsed;
                correct = buckets(q.rates, tokensBack, 0);
            }
            List<RedisCounters.Target> targets = reserved == null ? List.of() : q.targets;
            if (targets.isEmpty() && correct.isEmpty()) return;
            redis.settle(targets, q.exchange.requestId(), cost, correct).onComplete(ar -> {
                if (ar.failed()) {
                    logFailure("settle request " + q.exchange.requestId() + " (its worst case stays held until its lease runs out; its cost is not counted)", ar.cause());
                    return;
                }
                List<RedisCounters.Settled> settledAll = ar.result();
                for (int i = 0; i < settledAll.size(); i++) {
                    RedisCounters.Settled s = settledAll.get(i);
                    if (s.counters() == null) continue;
                    observe(q.targets.get(i), s.counters());
                    if (!s.claimed().isEmpty()) service.alert(q.targets.get(i).entry(), s.claimed(), s.counters().spent());
                }
            });
        }
    }
}
