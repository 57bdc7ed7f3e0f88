package dev.tollgate.gateway.cache;

import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.stage.Stage;
import dev.tollgate.store.Ledger;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;

import java.time.Duration;

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
        // namespace:hash; the bare hash when the cache is off and the request is here for its idempotency key alone
        String key = CacheKey.key(decision.namespace(), exchange.api(), exchange.route(), exchange.body());
        // the request's own hash (the key's tail) tells an idempotency key's reuse for another request
        String hash = idempotencyKey == null ? null : key.substring(key.length() - CacheKey.HASH_LENGTH);
        Context context = Vertx.currentContext();
        Replay.Retry retry = mayRetry && config.retryAfterLeaderError() ? () -> handle(exchange, sink, next, false) : null;

        Flight mine = new Flight(hash, idempotencyKey != null);
        String idemKey = null;
        if (idempotencyKey != null) {
            idemKey = "key:" + exchange.principal().keyName() + ":" + idempotencyKey;
            Flight first = store.idempotent(idemKey, mine);
            if (first != null) {
                if (!first.requestHash.equals(hash)) {
                    sink.fail(reused(idempotencyKey, config));
                    return;
                }
                join(first, new Replay(exchange, sink, "idempotent", ledger, context, retry), exchange);
                return;
            }
            RedisCache redis = store.redis();
            if (redis != null) {
                String idem = idemKey;
                redis.claimIdempotency(idemKey, hash, config.idempotencyWindow()).onComplete(claimed -> context.runOnContext(v -> {
                    String firstHash = claimed.succeeded() ? claimed.result() : null;
                    if (firstHash == null) {
                        lookup(exchange, sink, next, decision, key, mine, idem, context, retry);
                    } else if (!firstHash.equals(hash)) {
                        store.idempotentDone(idem, mine, false);
                        sink.fail(reused(idempotencyKey, config));
                    } else {
                        awaitIdempotent(exchange, sink, next, decision, key, mine, idem, context, retry, 10);
                    }
                }));
                return;
            }
        }
        lookup(exchange, sink, next, decision, key, mine, idemKey, context, retry);
    }

    private static GatewayError reused(String idempotencyKey, CacheConfig config) {
        return new GatewayError(409, "invalid_request_error", "idempotency_key_reused",
                "Idempotency-Key '" + idempotencyKey + "' was used for a different request within the last "
                        + config.idempotencyWindow().toSeconds() + " s; use a new key for a new request", null, null);
    }

    /**
     * The same key and request were sent to another replica first: wait for its answer there. When that request
     * failed its claim is gone, and this one goes on as the first.
     */
    private void awaitIdempotent(Exchange exchange, ReplySink sink, Chain next, CacheDecision decision, String key,
                                 Flight mine, String idemKey, Context context, Replay.Retry retry, long backoffMs) {
        RedisCache redis = store.redis();
        context.owner().setTimer(backoffMs, id -> redis.idempotentAnswer(idemKey)
                .compose(answer -> answer != null ? Future.succeededFuture(answer)
                        : redis.idempotencyClaimed(idemKey).map(claimed -> claimed ? null : NO_CLAIM))
                .onComplete(found -> context.runOnContext(v -> {
                    if (found.failed()) {
                        lookup(exchange, sink, next, decision, key, mine, idemKey, context, retry);
                    } else if (found.result() == NO_CLAIM) {
                        store.idempotentDone(idemKey, mine, false);
                        handle(exchange, sink, next, retry != null);
                    } else if (found.result() != null) {
                        new Replay(exchange, sink, "idempotent", ledger, context, null).play(found.result());
                        store.idempotentDone(idemKey, answered(mine, found.result()), true);
                    } else {
                        awaitIdempotent(exchange, sink, next, decision, key, mine, idemKey, context, retry, Math.min(backoffMs * 2, 100));
                    }
                })));
    }

    /** Marks "the first request's claim is gone" among answers. */
    private static final CachedReply NO_CLAIM = new CachedReply(java.util.List.of(), java.math.BigDecimal.ZERO, 0);

    private void lookup(Exchange exchange, ReplySink sink, Chain next, CacheDecision decision, String key, Flight mine,
                        String idemKey, Context context, Replay.Retry retry) {
        if (decision.lookup()) {
            CachedReply hit = store.lookup(key);
            if (hit != null) {
                new Replay(exchange, sink, "hit", ledger, context, null).play(hit);
                if (idemKey != null) idempotentDone(idemKey, answered(mine, hit), hit);
                return;
            }
            Question question = decision.similarity() > 0 && embedder != null ? Question.of(exchange.api(), exchange.body()) : null;
            if (question != null) {
                String questionContext = CacheKey.key(decision.namespace(), exchange.api(), exchange.route(), question.context());
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
                        if (idem != null) idempotentDone(idem, answered(mine, near), near);
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
        RedisCache redis = store.redis();
        if (redis == null || !decision.lookup()) {
            call(exchange, sink, next, decision, key, flight, idemKey, context, remember, false);
            return;
        }
        // an answer that will not be shared, or coalescing off: nothing for other replicas to wait for
        if (!decision.store() || !decision.coalesce()) {
            redis.answer(key).onComplete(found -> context.runOnContext(v -> {
                if (found.succeeded() && found.result().answer() != null) servedShared(exchange, sink, decision, key, flight, idemKey, context, found.result());
                else call(exchange, sink, next, decision, key, flight, idemKey, context, remember, false);
            }));
            return;
        }
        claim(exchange, sink, next, decision, key, flight, idemKey, context, remember, 5);
    }

    /**
     * Another replica's answer, or the lease to make the call; while another replica holds the lease, waits for its
     * answer (polling with a growing pause). A replica that dies stops renewing its lease, and a waiter takes it over.
     * Redis failing or slow: the call is made here.
     */
    private void claim(Exchange exchange, ReplySink sink, Chain next, CacheDecision decision, String key, Flight flight,
                       String idemKey, Context context, Remember remember, long backoffMs) {
        store.redis().answerOrLease(key).onComplete(claimed -> context.runOnContext(v -> {
            if (claimed.failed()) {
                call(exchange, sink, next, decision, key, flight, idemKey, context, remember, false);
            } else if (claimed.result().answer() != null) {
                servedShared(exchange, sink, decision, key, flight, idemKey, context, claimed.result());
            } else if (claimed.result().leased()) {
                call(exchange, sink, next, decision, key, flight, idemKey, context, remember, true);
            } else {
                context.owner().setTimer(backoffMs, id -> claim(exchange, sink, next, decision, key, flight, idemKey, context,
                        remember, Math.min(backoffMs * 2, 100)));
            }
        }));
    }

    /** An answer another replica stored: kept here too, played to this client and to the requests waiting here. */
    private void servedShared(Exchange exchange, ReplySink sink, CacheDecision decision, String key, Flight flight,
                              String idemKey, Context context, RedisCache.Claim found) {
        CachedReply reply = found.answer();
        // kept here no longer than in Redis: the policy's TTL runs from when the answer was first stored
        Duration left = found.left().compareTo(decision.ttl()) < 0 ? found.left() : decision.ttl();
        if (decision.store() && !left.isZero()) store.store(key, reply, left);
        new Replay(exchange, sink, "hit", ledger, context, null).play(reply);
        answered(flight, reply);
        if (decision.coalesce()) store.landed(key, flight);
        if (idemKey != null) idempotentDone(idemKey, flight, reply);
    }

    /** Remembers (here and in Redis) the answer to an Idempotency-Key, or forgets the key when the call failed. */
    private void idempotentDone(String idemKey, Flight flight, CachedReply reply) {
        store.idempotentDone(idemKey, flight, reply != null);
        RedisCache redis = store.redis();
        if (redis != null) redis.idempotentDone(idemKey, reply, store.config().idempotencyWindow());
    }

    private void call(Exchange exchange, ReplySink sink, Chain next, CacheDecision decision, String key, Flight flight,
                      String idemKey, Context context, Remember remember, boolean leased) {
        String outcome = decision == CacheDecision.OFF ? null : decision.bypass() ? "bypass" : "miss";
        boolean coalescing = decision.coalesce();
        RedisCache redis = store.redis();
        long renewal = leased ? redis.renewEvery(key) : -1;
        RecordingSink recording = new RecordingSink(sink, exchange, flight, outcome, (landed, completed) -> {
            boolean ok = completed && exchange.status() >= 200 && exchange.status() < 300;
            boolean kept = ok && decision.store() && store.admits(key);
            // the answer is copied out of the flight only for someone who keeps it
            boolean wanted = kept || ok && (idemKey != null || redis != null && decision.store());
            CachedReply reply = wanted ? landed.reply(key) : null;
            // stored before the flight leaves the table, so an identical request always finds one or the other
            if (kept) {
                store.put(key, reply, decision.ttl());
                if (remember != null) store.remember(remember.context(), remember.vector(), key);
            }
            if (redis != null && decision.store()) {
                // the answer is in Redis before the lease goes, so another replica finds one or the other
                Future<?> shared = ok ? redis.storeAnswer(key, reply, decision.ttl()) : Future.succeededFuture();
                if (leased) shared.onComplete(done -> redis.release(key, renewal));
            }
            if (coalescing) store.landed(key, landed);
            if (idemKey != null) idempotentDone(idemKey, landed, reply);
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
                if (e instanceof ReplyEvent.Fail) idempotentDone(idemKey, mine, null); // forgotten before told
                mine.publish(e);
                if (e instanceof ReplyEvent.End) idempotentDone(idemKey, mine, mine.reply(idemKey));
            }
        };
    }

    /** A flight that is already over: the stored answer, so a retry with the same key is served it too. */
    private static Flight answered(Flight flight, CachedReply reply) {
        for (ReplyEvent e : reply.events()) flight.publish(e);
        return flight;
    }
}
