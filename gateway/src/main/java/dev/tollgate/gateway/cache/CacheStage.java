package dev.tollgate.gateway.cache;

import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.stage.Stage;
import dev.tollgate.store.Ledger;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;

/**
 * Pay once: after routing and before budgets and metering, so that an answer served again neither consumes budget
 * nor is metered as a provider call.
 *
 * <ol>
 * <li>{@code Idempotency-Key}: a request repeating a key of the same tenant within the window gets the first
 *     request's answer, even while that one is still running; the same key with a different request is a 409.</li>
 * <li>Exact cache: a stored answer for the request's canonical key ({@link CacheKey}) in its namespace is played
 *     again ({@code x-tollgate-cache: hit}).</li>
 * <li>Near duplicates (opt-in): the question is embedded through the gateway and a stored answer to a question of
 *     the same context at least as similar as the scope's threshold is played again ({@code hit}, with
 *     {@code x-tollgate-cache-similarity}).</li>
 * <li>Coalescing: an identical request already running is joined and its answer streamed to this client as it
 *     arrives ({@code coalesced}).</li>
 * <li>Otherwise the request goes on ({@code miss}, or {@code bypass} when the cache may not serve it), and its
 *     answer is stored when it completes with a 2xx status. Nothing is stored from an error.</li>
 * </ol>
 */
public final class CacheStage implements Stage {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(CacheStage.class);

    public static final String IDEMPOTENCY_HEADER = "idempotency-key";

    private final CacheStore store;
    private final Ledger ledger;
    private final Embedder embedder;

    public CacheStage(CacheStore store, Ledger ledger) {
        this(store, ledger, null);
    }

    /** @param embedder how questions are embedded for the near-duplicate cache; null when it is off */
    public CacheStage(CacheStore store, Ledger ledger, Embedder embedder) {
        this.store = store;
        this.ledger = ledger;
        this.embedder = embedder;
    }

    /** A question to index once its answer is stored. */
    private record Remember(String context, float[] vector) {
    }

    @Override
    public void handle(Exchange exchange, ReplySink sink, Chain next) {
        handle(exchange, sink, next, true);
    }

    private void handle(Exchange exchange, ReplySink sink, Chain next, boolean mayRetry) {
        CacheConfig config = store.config();
        String idempotencyKey = config.idempotencyWindow().isZero() ? null : exchange.requestHeaders().get(IDEMPOTENCY_HEADER);
        CacheDecision decision;
        try {
            decision = CacheDecision.of(config, exchange);
        } catch (IllegalArgumentException e) {
            sink.fail(GatewayError.badRequest(e.getMessage(), null));
            return;
        }
        if (idempotencyKey == null && decision.bypass() && !decision.store()) {
            next.proceed(exchange, decision == CacheDecision.OFF ? sink : marked(sink, "bypass"));
            return;
        }
        String hash = CacheKey.hash(exchange.api(), exchange.route(), exchange.body());
        String key = decision.namespace() + ":" + hash;
        Context context = Vertx.currentContext();
        Replay.Retry retry = mayRetry && config.retryAfterLeaderError() ? () -> handle(exchange, sink, next, false) : null;

        Flight mine = new Flight(hash, idempotencyKey != null);
        String idemKey = null;
        if (idempotencyKey != null) {
            idemKey = "key:" + exchange.principal().keyName() + ":" + idempotencyKey;
            Flight first = store.idempotent(idemKey, mine);
            if (first != null) {
                if (!first.requestHash.equals(hash)) {
                    sink.fail(new GatewayError(409, "invalid_request_error", "idempotency_key_reused",
                            "Idempotency-Key '" + idempotencyKey + "' was used for a different request within the last "
                                    + config.idempotencyWindow().toSeconds() + " s; use a new key for a new request", null, null));
                    return;
                }
                join(first, new Replay(exchange, sink, "idempotent", ledger, context, retry), exchange);
                return;
            }
        }
        if (decision.lookup()) {
            CachedReply hit = store.lookup(key);
            if (hit != null) {
                new Replay(exchange, sink, "hit", ledger, context, null).play(hit);
                if (idemKey != null) store.idempotentDone(idemKey, answered(mine, hit), true);
                return;
            }
            Question question = decision.similarity() > 0 && embedder != null ? Question.of(exchange.api(), exchange.body()) : null;
            if (question != null) {
                String questionContext = decision.namespace() + ":" + CacheKey.hash(exchange.api(), exchange.route(), question.context());
                String idem = idemKey;
                embedder.embed(exchange, question.text()).onComplete(embedded -> {
                    if (embedded.failed()) {
                        log.warn("request {}: near-duplicate lookup skipped: {}", exchange.requestId(), embedded.cause().getMessage());
                        afterLookup(exchange, sink, next, decision, key, mine, idem, context, retry, null);
                        return;
                    }
                    float[] vector = embedded.result();
                    QuestionIndex.Match match = store.nearest(questionContext, vector);
                    CachedReply near = match != null && match.similarity() >= decision.similarity() ? store.lookup(match.key()) : null;
                    if (near != null) {
                        new Replay(exchange, sink, "hit", ledger, context, null).near(match.similarity()).play(near);
                        if (idem != null) store.idempotentDone(idem, answered(mine, near), true);
                        return;
                    }
                    afterLookup(exchange, sink, next, decision, key, mine, idem, context, retry, new Remember(questionContext, vector));
                });
                return;
            }
        }
        afterLookup(exchange, sink, next, decision, key, mine, idemKey, context, retry, null);
    }

    /** No stored answer: join an identical call in flight, or make the call. */
    private void afterLookup(Exchange exchange, ReplySink sink, Chain next, CacheDecision decision, String key, Flight mine,
                             String idemKey, Context context, Replay.Retry retry, Remember remember) {
        if (decision.coalesce()) {
            Flight running = store.joinOrLead(key, mine);
            if (running != null) {
                join(running, new Replay(exchange, sink, "coalesced", ledger, context, retry), exchange);
                if (idemKey != null) running.join(mirror(mine, idemKey)); // a retry with the key gets the same answer
                return;
            }
        }
        lead(exchange, sink, next, decision, key, mine, idemKey, context, remember);
    }

    private void lead(Exchange exchange, ReplySink sink, Chain next, CacheDecision decision, String key, Flight flight,
                      String idemKey, Context context, Remember remember) {
        String outcome = decision == CacheDecision.OFF ? null : decision.bypass() ? "bypass" : "miss";
        boolean coalescing = decision.coalesce();
        RecordingSink recording = new RecordingSink(sink, exchange, flight, outcome, (landed, completed) -> {
            boolean ok = completed && exchange.status() >= 200 && exchange.status() < 300;
            // stored before the flight leaves the table, so an identical request always finds one or the other
            if (ok && decision.store()) {
                store.store(key, landed.reply(key), decision.ttl());
                if (remember != null) store.remember(remember.context(), remember.vector(), key);
            }
            if (coalescing) store.landed(key, landed);
            if (idemKey != null) store.idempotentDone(idemKey, landed, ok);
        });
        exchange.connection(flight.connectionFor(exchange.connection(), context));
        next.proceed(exchange, recording);
    }

    /** Passes the reply on with {@code x-tollgate-cache: outcome}. */
    private static ReplySink marked(ReplySink sink, String outcome) {
        return new ReplySink.Forwarding(sink) {
            @Override
            public void start(int status, MultiMap headers) {
                headers.set(Replay.CACHE_HEADER, outcome);
                next.start(status, headers);
            }
        };
    }

    private static void join(Flight flight, Replay replay, Exchange exchange) {
        exchange.connection().onClose(() -> flight.leave(replay));
        flight.join(replay);
    }

    /**
     * Copies another flight's events into {@code mine}, the flight registered for an idempotency key, so that a retry
     * that joined {@code mine} gets the answer this request gets.
     */
    private Flight.Waiter mirror(Flight mine, String idemKey) {
        return events -> {
            for (ReplyEvent e : events) {
                if (e instanceof ReplyEvent.Fail) store.idempotentDone(idemKey, mine, false); // forgotten before told
                mine.publish(e);
                if (e instanceof ReplyEvent.End) store.idempotentDone(idemKey, mine, true);
            }
        };
    }

    /** A flight that is already over: the stored answer, so a retry with the same key is served it too. */
    private static Flight answered(Flight flight, CachedReply reply) {
        for (ReplyEvent e : reply.events()) flight.publish(e);
        return flight;
    }
}
