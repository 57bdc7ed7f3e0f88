package dev.tollgate.gateway.shadow;

import dev.tollgate.gateway.route.Route;
import dev.tollgate.gateway.route.RouteConfig;
import dev.tollgate.gateway.route.RouteGroup;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32;

/**
 * One route's shadow traffic as the gateway runs it (shared by every event loop): the candidate it goes to, which
 * requests are sampled, the cap on calls in flight, and what became of the sampled ones.
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
     * Whether a request of this id is shadowed: the CRC-32 of its UTF-8 bytes, modulo 10,000, is below the share in
     * ten-thousandths. The same id always gets the same answer, so a known set of ids takes an exact, known share.
     */
    public static boolean sampled(String requestId, double share) {
        return bucket(requestId) < Math.round(share * BUCKETS);
    }

    boolean sampled(String requestId) {
        return threshold > 0 && (threshold >= BUCKETS || bucket(requestId) < threshold);
    }

    private static long bucket(String requestId) {
        CRC32 crc = new CRC32();
        crc.update(requestId.getBytes(StandardCharsets.UTF_8));
        return crc.getValue() % BUCKETS;
    }

    /** Takes a slot for one call; false (and counted as shed) when {@code max_in_flight} are already running. */
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

    /** Shadow calls running now. */
    public int inFlight() { return inFlight.get(); }
    /** Shadow calls started. */
    public long sent() { return sent.sum(); }
    /** Sampled requests not shadowed because {@code max_in_flight} calls were already running. */
    public long shed() { return shed.sum(); }
    /** Shadow calls a budget or rate limit refused before any spend (skipped). */
    public long refused() { return refused.sum(); }
    /** Shadow calls that failed otherwise (the candidate's error, a timeout). */
    public long failed() { return failed.sum(); }
}
