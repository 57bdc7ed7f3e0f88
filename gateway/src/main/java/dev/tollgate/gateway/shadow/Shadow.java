package dev.tollgate.gateway.shadow;

import dev.tollgate.gateway.route.Route;
import dev.tollgate.gateway.route.RouteConfig;
import dev.tollgate.gateway.route.RouteGroup;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One route's shadow traffic as the gateway runs it (shared by every event loop): the candidate it goes to, which
 * requests are sampled (an exact share, counted), the cap on calls in flight, and what became of the sampled ones.
 *
 * <p>A shadow call is attributed to the key {@value #KEY} and the tag {@code shadow=ROUTE} (not the client's key or
 * tags), so reports by key, team or feature show only what clients spent, a report by {@code shadow} shows what the
 * shadows cost, and budgets scoped {@code key:shadow} or {@code shadow:ROUTE} cap it.
 */
public final class Shadow {

    /** The key name a shadow call is metered under. */
    public static final String KEY = "shadow";
    /** The tag naming the route a shadow call shadows; its rows share the client's request id. */
    public static final String TAG = "shadow";
    /** Sampling resolution: shares are taken in steps of 1/10,000. */
    static final int BUCKETS = 10_000;

    private final String route;
    private final RouteConfig.ShadowConfig config;
    private final Route candidate;
    private final RouteGroup candidateGroup;
    private final Map<String, String> tags;
    private final long threshold;
    private final AtomicLong seen = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder sent = new LongAdder();
    private final LongAdder shed = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder failed = new LongAdder();

    public Shadow(String route, RouteConfig.ShadowConfig config, Route candidate, RouteGroup candidateGroup) {
        this.route = route;
        this.config = config;
        this.candidate = candidate;
        this.candidateGroup = candidateGroup;
        this.tags = Map.of(TAG, route);
        this.threshold = Math.round(config.sample() * BUCKETS);
    }

    /**
     * Whether the route's next request is shadowed: the n-th request (counting from 1) is when n × share passes a whole
     * number, so every prefix of the route's requests holds its exact share, rounded down (at 0.5 the 2nd, 4th, 6th…;
     * at 0.1 the 10th, 20th…). The same sequence of requests is always sampled the same way.
     */
    boolean sampled() {
        if (threshold <= 0) return false;
        if (threshold >= BUCKETS) return true;
        long n = seen.getAndIncrement() % BUCKETS; // the pattern repeats every 10,000 requests
        return (n + 1) * threshold / BUCKETS > n * threshold / BUCKETS;
    }

    /**
     * Takes a slot for one call, from the hand-over to the lane until the call ends; false (and counted as shed) when
     * {@code max_in_flight} are already taken, so calls waiting for the lane never pile up.
     */
    boolean tryStart() {
        while (true) {
            int n = inFlight.get();
            if (n >= config.maxInFlight()) {
                shed.increment();
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                sent.increment();
                return true;
            }
        }
    }

    /**
     * Whether a slot is free now; false (and counted as shed) when {@code max_in_flight} calls are under way. Taken
     * only at the hand-over ({@link #tryStart}); this lets a sample that would be shed skip copying the client's answer.
     */
    boolean hasRoom() {
        if (inFlight.get() < config.maxInFlight()) return true;
        shed.increment();
        return false;
    }

    void finished(boolean refusedByBudget, boolean callFailed) {
        inFlight.decrementAndGet();
        if (refusedByBudget) refused.increment();
        else if (callFailed) failed.increment();
    }

    public String route() { return route; }
    public RouteConfig.ShadowConfig config() { return config; }
    public Route candidate() { return candidate; }
    /** The candidate's route group when it is a route; null for a single model. */
    public RouteGroup candidateGroup() { return candidateGroup; }
    Map<String, String> tags() { return tags; }

    /** Shadow calls handed over and not yet ended. */
    public int inFlight() { return inFlight.get(); }
    /** Shadow calls handed over to the lane. */
    public long sent() { return sent.sum(); }
    /** Sampled requests not shadowed because {@code max_in_flight} calls were already under way. */
    public long shed() { return shed.sum(); }
    /** Shadow calls a budget or rate limit refused before any spend (skipped). */
    public long refused() { return refused.sum(); }
    /** Shadow calls that failed otherwise (the candidate's error, a timeout). */
    public long failed() { return failed.sum(); }
}
