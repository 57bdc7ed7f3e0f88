package dev.tollgate.gateway.route;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.netty.util.AsciiString;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One deployment of a route as the gateway runs it: where it goes ({@link #target}), its circuit breaker, its moving
 * latency and its counts. Shared by every event loop, so everything here is thread-safe.
 */
public final class Deployment {

    /** The weight of the newest sample in the moving latency (an exponentially weighted moving average). */
    private static final double LATENCY_ALPHA = 0.2;

    private final Route target;
    private final String id;
    private final AsciiString idHeader;
    private final int weight;
    private final CircuitBreaker breaker;
    private final AtomicLong latencyNanos = new AtomicLong();
    private final LongAdder attempts = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder served = new LongAdder();
    private final Clock clock;
    private final long openMillis;
    /**
     * When the circuit last opened (the breaker's clock); a probe is due {@link #openMillis} later. Noted by the calls
     * below that can open it rather than by a listener on the breaker's events: with any listener, the breaker builds
     * an event (and reads the time of day) for every call it is told of.
     */
    private volatile long openedAt;

    Deployment(Route target, String id, int weight, CircuitBreaker breaker, Clock clock, Duration open) {
        this.target = target;
        this.id = id;
        this.idHeader = AsciiString.cached(id);
        this.weight = weight;
        this.breaker = breaker;
        this.clock = clock;
        this.openMillis = open.toMillis();
    }

    /** The route's name with this deployment's provider, upstream model and price: what an attempt here uses. */
    public Route target() { return target; }

    /** "provider/model". */
    public String id() { return id; }

    public AsciiString idHeader() { return idHeader; }

    public int weight() { return weight; }

    public CircuitBreaker breaker() { return breaker; }

    /** Moving latency to first content (a complete answer: to its end); 0 before the first success. */
    public long latencyNanos() { return latencyNanos.get(); }

    public long attempts() { return attempts.sum(); }

    public long failures() { return failures.sum(); }

    public long served() { return served.sum(); }

    /**
     * Whether the breaker lets calls through: closed, half-open, or open long enough that the next call is its probe
     * (the breaker moves to half-open only when asked, so without this an open deployment behind a healthy one would
     * never be asked again).
     */
    public boolean healthy() {
        CircuitBreaker.State s = breaker.getState();
        if (s == CircuitBreaker.State.OPEN) return clock.millis() >= openedAt + openMillis;
        return s == CircuitBreaker.State.CLOSED || s == CircuitBreaker.State.HALF_OPEN || s == CircuitBreaker.State.DISABLED;
    }

    /** Asks the breaker for a call; counts it when granted. */
    public boolean tryAcquire() {
        if (!breaker.tryAcquirePermission()) return false;
        attempts.increment();
        return true;
    }

    /** The attempt reached its first content (or its whole answer). */
    public void succeeded(long nanos) {
        CircuitBreaker.State before = breaker.getState();
        breaker.onSuccess(nanos, TimeUnit.NANOSECONDS); // a slow call is judged too, and may open the circuit
        notedIfOpened(before);
        served.increment();
        long sample = Math.max(1, nanos);
        latencyNanos.getAndUpdate(old -> old == 0 ? sample : (long) (old + LATENCY_ALPHA * (sample - old)));
    }

    /** The attempt failed in a way that says the deployment is unwell (429, 5xx, no connection, silence). */
    public void failed(long nanos, Throwable why) {
        CircuitBreaker.State before = breaker.getState();
        breaker.onError(nanos, TimeUnit.NANOSECONDS, why);
        notedIfOpened(before);
        failures.increment();
    }

    /** The attempt ended in a way that says nothing about the deployment (the client's own error, a hang-up). */
    public void neutral() {
        breaker.releasePermission();
    }

    private void notedIfOpened(CircuitBreaker.State before) {
        if (before != CircuitBreaker.State.OPEN && breaker.getState() == CircuitBreaker.State.OPEN) openedAt = clock.millis();
    }
}
