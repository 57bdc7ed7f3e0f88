package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cache's part in Redis, shared by every replica naming the same Redis and prefix:
 * <ul>
 * <li>{@code PREFIX a:KEY}: a stored answer (its events as JSON), expiring with the answer's TTL;</li>
 * <li>{@code PREFIX l:KEY}: the lease of the replica making the call for KEY (its token), renewed while the call
 *     runs, so that a dead replica's claim runs out and a waiting replica makes the call;</li>
 * <li>{@code PREFIX i:TENANT:KEY}: the request hash first sent with an Idempotency-Key, for the window, and
 *     {@code PREFIX ia:TENANT:KEY} its answer.</li>
 * </ul>
 * Every call may fail or time out: callers get a failed future, count nothing as an error for the client, and go on
 * with this replica's own cache. Calls run on a small Vert.x of their own; callers hop back to their context.
 */
public final class RedisCache implements AutoCloseable {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RedisCache.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Deletes the lease only when it is still ours (a lease that ran out may have been taken by another replica). */
    private static final String RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
    /**
     * One round trip for a miss: the stored answer and its time left, else (given a token) the lease to make the call
     * when no one holds it.
     */
    private static final String ANSWER_OR_LEASE = """
            local a = redis.call('GET', KEYS[1])
            if a then return {1, a, redis.call('PTTL', KEYS[1])} end
            if ARGV[1] ~= '' and redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2} end
            return {0}
            """;
    private static final String RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

    private final CacheConfig.Redis settings;
    private final Vertx vertx;
    private final Redis client;
    private final String token = UUID.randomUUID().toString();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    public RedisCache(CacheConfig.Redis settings) {
        this.settings = settings;
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
        this.client = Redis.createClient(vertx, new RedisOptions().setConnectionString(settings.url())
                .setMaxPoolSize(8).setMaxPoolWaiting(100_000).setMaxWaitingHandlers(100_000));
        // opens a connection now, so that the first requests do not pay for it (a Redis down is only logged)
        client.send(Request.cmd(Command.PING)).onFailure(e -> log.warn("cache.redis: {} does not answer yet ({}); requests go on without the shared cache until it does",
                settings.url().replaceFirst("//[^@/]*@", "//****@"), e.getMessage()));
    }

    public CacheConfig.Redis settings() {
        return settings;
    }

    /** Redis calls that failed or timed out (the request went on without the shared cache). */
    public long failures() {
        return failures.get();
    }

    public long hits() {
        return hits.get();
    }

    public long misses() {
        return misses.get();
    }

    Vertx vertx() {
        return vertx;
    }

    private Future<Response> send(Request request) {
        return client.send(request).timeout(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)
                .onFailure(e -> {
                    if (failures.incrementAndGet() % 1000 == 1) log.warn("cache.redis: {} (the request went on without the shared cache)", e.getMessage());
                });
    }

    // ---- answers

    Future<?> storeAnswer(String key, CachedReply reply, Duration ttl) {
        return set(settings.prefix() + "a:" + key, reply, ttl);
    }

    private Future<CachedReply> get(String redisKey, String key) {
        return send(Request.cmd(Command.GET).arg(redisKey)).map(r -> r == null ? null : decode(r.toBuffer(), key));
    }

    private Future<?> set(String redisKey, CachedReply reply, Duration ttl) {
        if (ttl.toMillis() <= 0) return Future.succeededFuture();
        return send(Request.cmd(Command.SET).arg(redisKey).arg(encode(reply)).arg("PX").arg(ttl.toMillis()));
    }

    // ---- leases

    /**
     * What {@link #answerOrLease} found: a stored answer and how long it has left in Redis, or whether this replica
     * now makes the call.
     */
    record Claim(CachedReply answer, Duration left, boolean leased) {
    }

    /** The stored answer for {@code key}; else the lease to make the call, when no other replica holds it. */
    Future<Claim> answerOrLease(String key) {
        return lookup(key, token);
    }

    /** The stored answer for {@code key} (null in the claim when there is none); takes no lease. */
    Future<Claim> answer(String key) {
        return lookup(key, "");
    }

    private Future<Claim> lookup(String key, String leaseToken) {
        return send(Request.cmd(Command.EVAL).arg(ANSWER_OR_LEASE).arg(2).arg(settings.prefix() + "a:" + key)
                .arg(settings.prefix() + "l:" + key).arg(leaseToken).arg(settings.lease().toMillis())).map(r -> {
                    int what = r.get(0).toInteger();
                    CachedReply answer = what == 1 ? decode(r.get(1).toBuffer(), key) : null;
                    (answer != null ? hits : misses).incrementAndGet();
                    Duration left = answer != null ? Duration.ofMillis(Math.max(0, r.get(2).toLong())) : Duration.ZERO;
                    return new Claim(answer, left, what == 2);
                });
    }

    /** Keeps the lease alive until {@code release}; a call longer than the lease must not be made twice. */
    long renewEvery(String key) {
        long every = Math.max(1, settings.lease().toMillis() / 3);
        return vertx.setPeriodic(every, id -> send(Request.cmd(Command.EVAL).arg(RENEW).arg(1)
                .arg(settings.prefix() + "l:" + key).arg(token).arg(settings.lease().toMillis())));
    }

    void release(String key, long renewal) {
        vertx.cancelTimer(renewal);
        send(Request.cmd(Command.EVAL).arg(RELEASE).arg(1).arg(settings.prefix() + "l:" + key).arg(token));
    }

    // ---- idempotency keys

    /** Null when this request is the first with the key within {@code window}; else the first one's request hash. */
    Future<String> claimIdempotency(String idemKey, String requestHash, Duration window) {
        String k = settings.prefix() + "i:" + idemKey;
        return send(Request.cmd(Command.SET).arg(k).arg(requestHash).arg("NX").arg("GET").arg("PX").arg(window.toMillis()))
                .map(r -> r == null ? null : r.toString());
    }

    /** The first request's answer, or null while it runs (or when it failed: then its claim is gone too). */
    Future<CachedReply> idempotentAnswer(String idemKey) {
        return get(settings.prefix() + "ia:" + idemKey, idemKey);
    }

    Future<Boolean> idempotencyClaimed(String idemKey) {
        return send(Request.cmd(Command.EXISTS).arg(settings.prefix() + "i:" + idemKey)).map(r -> r != null && r.toInteger() > 0);
    }

    void idempotentDone(String idemKey, CachedReply reply, Duration window) {
        if (reply != null) set(settings.prefix() + "ia:" + idemKey, reply, window);
        else send(Request.cmd(Command.DEL).arg(settings.prefix() + "i:" + idemKey)); // failed: a retry may try again
    }

    // ---- encoding

    static Buffer encode(CachedReply reply) {
        ArrayNode events = JSON.createArrayNode();
        for (ReplyEvent e : reply.events()) {
            ObjectNode o = events.addObject();
            switch (e) {
                case ReplyEvent.Start s -> o.put("t", "start").put("status", s.status()).put("type", s.contentType())
                        .put("cc", s.cacheControl());
                case ReplyEvent.Data d -> o.put("t", "data").put("b", d.bytes());
                case ReplyEvent.CostComment c -> o.put("t", "cost");
                case ReplyEvent.End end -> o.put("t", "end");
                case ReplyEvent.Usage u -> {
                    Usage x = u.usage();
                    o.put("t", "usage").put("model", u.servedModel()).put("est", u.estimated())
                            .put("cost", u.cost() == null ? null : u.cost().toPlainString()).put("pv", u.priceVersion());
                    if (x != null) o.putArray("u").add(x.inputTokens()).add(x.cachedInputTokens()).add(x.cacheWrite5mTokens())
                            .add(x.cacheWrite1hTokens()).add(x.outputTokens()).add(x.reasoningTokens());
                }
                case ReplyEvent.Fail f -> throw new IllegalArgumentException("a failed reply is never shared");
            }
        }
        try {
            return Buffer.buffer(JSON.writeValueAsBytes(events));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static CachedReply decode(Buffer bytes, String key) {
        JsonNode events;
        try {
            events = JSON.readTree(bytes.getBytes());
        } catch (IOException e) {
            return null; // not ours, or from an incompatible version: a miss
        }
        List<ReplyEvent> out = new ArrayList<>();
        for (JsonNode o : events) {
            switch (o.path("t").asText()) {
                case "start" -> out.add(new ReplyEvent.Start(o.path("status").asInt(), text(o, "type"), text(o, "cc")));
                case "data" -> {
                    try {
                        out.add(new ReplyEvent.Data(o.path("b").binaryValue()));
                    } catch (IOException e) {
                        return null;
                    }
                }
                case "cost" -> out.add(new ReplyEvent.CostComment());
                case "end" -> out.add(new ReplyEvent.End());
                case "usage" -> {
                    JsonNode u = o.path("u");
                    Usage usage = u.isArray() ? new Usage(u.get(0).asLong(), u.get(1).asLong(), u.get(2).asLong(),
                            u.get(3).asLong(), u.get(4).asLong(), u.get(5).asLong()) : null;
                    String cost = text(o, "cost");
                    out.add(new ReplyEvent.Usage(usage, text(o, "model"), o.path("est").asBoolean(),
                            cost == null ? null : new BigDecimal(cost), text(o, "pv")));
                }
                default -> {
                    return null;
                }
            }
        }
        if (out.isEmpty() || !(out.getLast() instanceof ReplyEvent.End)) return null;
        return CachedReply.of(out, key);
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    @Override
    public void close() {
        client.close();
        vertx.close();
    }
}
