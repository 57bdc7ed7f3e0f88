package dev.tollgate.core.ratelimit;

/**
 * A token bucket refilled continuously at {@code perMinute} a minute up to {@code perMinute}: a client may burst up
 * to a minute's allowance and then runs at the steady rate. Levels are counts of requests or tokens (not money), so
 * doubles are exact enough. A take may be corrected later ({@link #adjust}), as a request's worst-case token count
 * is replaced by what it used; the level may then go below zero, and later requests wait until it refills.
 */
public final class TokenBucket {

    private static final double NANOS_PER_MINUTE = 60e9;

    private final long perMinute;
    private double level;
    private long updatedNanos;

    public TokenBucket(long perMinute, long nowNanos) {
        if (perMinute <= 0) throw new IllegalArgumentException("a rate limit must be positive");
        this.perMinute = perMinute;
        this.level = perMinute;
        this.updatedNanos = nowNanos;
    }

    public long perMinute() {
        return perMinute;
    }

    /**
     * Takes {@code amount} if available and returns 0, else takes nothing and returns the nanoseconds until it would
     * be. An amount above the whole capacity is allowed from a full bucket, so one oversized request is not refused
     * forever.
     */
    public synchronized long tryTake(long amount, long nowNanos) {
        refill(nowNanos);
        double needed = Math.min(amount, perMinute);
        if (level >= needed) {
            level -= amount;
            return 0;
        }
        return (long) Math.ceil((needed - level) * NANOS_PER_MINUTE / perMinute);
    }

    /** Gives back (positive) or takes more (negative) after the fact. */
    public synchronized void adjust(long amount, long nowNanos) {
        refill(nowNanos);
        level = Math.min(perMinute, level + amount);
    }

    /** Whole units available now (never negative). */
    public synchronized long remaining(long nowNanos) {
        refill(nowNanos);
        return Math.max(0, (long) Math.floor(level));
    }

    /** Nanoseconds until the bucket is full again. */
    public synchronized long nanosUntilFull(long nowNanos) {
        refill(nowNanos);
        return (long) Math.ceil((perMinute - level) * NANOS_PER_MINUTE / perMinute);
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - updatedNanos;
        if (elapsed <= 0) return;
        level = Math.min(perMinute, level + elapsed * (double) perMinute / NANOS_PER_MINUTE);
        updatedNanos = nowNanos;
    }
}
