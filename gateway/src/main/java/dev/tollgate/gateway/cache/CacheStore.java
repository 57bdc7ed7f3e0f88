package dev.tollgate.gateway.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;

/**
 * What every event loop of the gateway shares for the cache: the stored answers (Caffeine, bounded by their bytes,
 * each entry with its own TTL), the calls in flight, and the idempotency window. Thread-safe.
 */
public final class CacheStore implements AutoCloseable {

    private final CacheConfig config;
    private final Cache<String, Entry> answers;
    private final ConcurrentMap<String, Flight> inFlight = new ConcurrentHashMap<>();
    private final Cache<String, Flight> idempotency;
    /** Near-duplicate questions per context; a context unused for long is dropped first. */
    private final Cache<String, QuestionIndex> questions;
    /** The part shared with other replicas; null when {@code cache.redis} is not set. */
    private final RedisCache redis;
    /** Keys seen lately: a full cache stores an answer only at its key's second sight. */
    private final Doorkeeper doorkeeper;
    /**
     * Whether the answers fill {@code max_bytes}: set when one is evicted for room, cleared when one expires (which
     * leaves room for about one more).
     */
    private volatile boolean full;

    /** A stored answer and how long it lives. */
    record Entry(CachedReply reply, Duration ttl) {
    }

    public CacheStore(CacheConfig config) {
        this(config, Ticker.systemTicker());
    }

    /** {@code ticker}: the time the answers' TTLs and the idempotency window run on. */
    public CacheStore(CacheConfig config, Ticker ticker) {
        this.config = config;
        this.doorkeeper = Doorkeeper.forBound(config.maxBytes());
        // Caffeine's upkeep (evictions, its frequency sketch) on the thread that reads or writes, not on the common
        // ForkJoinPool: a wake-up of another thread per write cost more than the upkeep itself (BENCHMARKS.md, issue 17)
        Executor maintenance = Runnable::run;
        this.answers = Caffeine.newBuilder()
                .ticker(ticker)
                .executor(maintenance)
                .maximumWeight(config.maxBytes())
                .weigher((String key, Entry e) -> (int) Math.min(Integer.MAX_VALUE, e.reply().weight()))
                .expireAfter(Expiry.<String, Entry>writing((key, e) -> e.ttl()))
                .evictionListener((String key, Entry e, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) full = true;
                    else if (cause == RemovalCause.EXPIRED) full = false;
                })
                .build();
        Duration window = config.idempotencyWindow().isZero() ? Duration.ofMillis(1) : config.idempotencyWindow();
        this.idempotency = Caffeine.newBuilder()
                .ticker(ticker)
                .executor(maintenance)
                .maximumWeight(config.idempotencyMaxBytes())
                .weigher((String key, Flight f) -> (int) Math.min(Integer.MAX_VALUE, f.weight() + 2L * key.length()))
                // the window runs from the first request; re-weighing a finished flight does not extend it
                .expireAfter(Expiry.<String, Flight>creating((key, f) -> window))
                .build();
        this.questions = Caffeine.newBuilder().ticker(ticker).executor(maintenance).maximumSize(10_000).expireAfterAccess(config.ttl()).build();
        this.redis = config.redis() == null ? null : new RedisCache(config.redis());
    }

    /** The cache shared through Redis, or null. */
    public RedisCache redis() {
        return redis;
    }

    @Override
    public void close() {
        if (redis != null) redis.close();
    }

    /** The most similar question asked before in this context, or null. */
    QuestionIndex.Match nearest(String context, float[] vector) {
        QuestionIndex index = questions.getIfPresent(context);
        return index == null ? null : index.nearest(vector);
    }

    /** Indexes a question whose answer is stored under {@code key}. */
    void remember(String context, float[] vector, String key) {
        questions.get(context, c -> new QuestionIndex(vector.length, config.nearDuplicate().maxQuestions())).add(vector, key);
    }

    public CacheConfig config() {
        return config;
    }

    CachedReply lookup(String key) {
        Entry e = answers.getIfPresent(key);
        return e == null ? null : e.reply();
    }

    /**
     * Stores an answer: always while the answers have room; once they fill {@code max_bytes}, only when its key was
     * seen lately (the {@link Doorkeeper}), so that answers asked for once do not push out those asked again.
     */
    void store(String key, CachedReply reply, Duration ttl) {
        if (admits(key)) put(key, reply, ttl);
    }

    /** Whether an answer for {@code key} is to be stored now; counts as a sight of the key. */
    boolean admits(String key) {
        boolean seen = doorkeeper.seenBefore(key); // recorded while there is room too: it is remembered once full
        return seen || !full;
    }

    /** Stores an answer {@link #admits admitted}. */
    void put(String key, CachedReply reply, Duration ttl) {
        if (reply.weight() > config.maxBytes()) return; // would evict everything else and then itself
        answers.put(key, new Entry(reply, ttl));
    }

    /** Bytes the doorkeeper's table holds beside the answers. */
    long doorkeeperBytes() {
        return doorkeeper.bytes();
    }

    /** The flight already running for {@code key}, or null after registering {@code mine} as it. */
    Flight joinOrLead(String key, Flight mine) {
        return inFlight.putIfAbsent(key, mine);
    }

    void landed(String key, Flight flight) {
        inFlight.remove(key, flight);
    }

    /** The flight first sent with this idempotency key within the window, or null after registering {@code mine}. */
    Flight idempotent(String key, Flight mine) {
        return idempotency.asMap().putIfAbsent(key, mine);
    }

    /**
     * A successful flight is weighed again with its whole reply; a failed one (or an error status) is forgotten so
     * that a retry can succeed.
     */
    void idempotentDone(String key, Flight flight, boolean ok) {
        if (ok) idempotency.asMap().replace(key, flight, flight);
        else idempotency.asMap().remove(key, flight);
    }

    /** Bytes held by stored answers (after pending evictions are done); at most {@code max_bytes}. */
    public long storedBytes() {
        answers.cleanUp();
        return answers.policy().eviction().orElseThrow().weightedSize().orElse(0);
    }

    public long storedAnswers() {
        answers.cleanUp();
        return answers.estimatedSize();
    }

    /** Calls in flight that identical requests may join. */
    public int inFlight() {
        return inFlight.size();
    }

    /** Clients waiting for a call in flight instead of making their own. */
    public int waiting() {
        return inFlight.values().stream().mapToInt(Flight::waiting).sum();
    }
}
