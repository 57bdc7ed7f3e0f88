package dev.tollgate.gateway.budget;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slices of the shared budgets and rate limits that this replica holds, so that most requests are counted in process
 * and touch no network. A budget's slice is a hold in Redis like a request's (so every replica, and every request
 * counted in Redis, sees it as reserved); requests reserve their worst case from it locally, and every {@link #TICK_MS}
 * the replica reports what they spent, renews the slice and tops it up. A rate limit's slice is taken from its bucket
 * and spent locally. Nothing is ever counted twice or left uncounted, so budgets stay exact: the slices and the
 * requests counted in Redis together never exceed a limit.
 *
 * <p>Slices are taken only far from the limit: a budget leases {@link #SLICE} of its limit at a time, only while
 * {@link #FLOOR} of its limit would still be left beyond it, and only once a request's worst case fits in a slice
 * several times over (a small budget is always counted request by request in Redis). Near the limit each replica gives
 * its slice back within a tick or two, and requests are again counted one by one in Redis, as exactly as before.
 * A replica that dies leaves its slices held until their lease ({@link #LEASE}) runs out; the next request refused
 * for want of room gives them back.
 */
public final class Leases {

    static final long TICK_MS = 50;
    static final Duration LEASE = Duration.ofSeconds(10);
    /** The share of a budget's limit a replica leases at a time. */
    static final BigDecimal SLICE = new BigDecimal("0.01");
    /** The share of a budget's limit that must stay free beyond a slice for it to be leased. */
    static final BigDecimal FLOOR = new BigDecimal("0.10");
    /** A request leases only what holds this many of it: fewer, and it is counted in Redis. */
    static final int FITS = 4;
    /** The share of a bucket's per-minute rate a replica takes at a time (only where that is at least {@link #FITS}). */
    static final long BUCKET_SLICES = 100;

    private static final Logger log = LoggerFactory.getLogger(Leases.class);

    private final RedisCounters redis;
    private final Clock clock;
    private final Alerting alerting;
    private final String replica = "lease:" + UUID.randomUUID() + ":";
    private final java.util.concurrent.atomic.AtomicLong leases = new java.util.concurrent.atomic.AtomicLong();
    /** A slice no request has used for this long is given back. */
    static final long IDLE_NANOS = 1_000_000_000L;
    private final ConcurrentHashMap<String, BudgetLease> budgets = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, BucketLease> buckets = new ConcurrentHashMap<>();

    /** Where the thresholds a report claimed are alerted. */
    public interface Alerting {
        void alert(BudgetBook.Entry entry, List<Integer> thresholds, BigDecimal spent);
    }

    Leases(RedisCounters redis, Clock clock, Alerting alerting) {
        this.redis = redis;
        this.clock = clock;
        this.alerting = alerting;
        redis.every(TICK_MS, this::tick);
    }

    /** A request counted on this replica's slices: what it holds until it settles. */
    public final class Ticket {
        private final List<BudgetLease> held;
        private final BigDecimal worst;
        private final List<BucketLease> taken;
        private final long tokens;
        private boolean settled;

        private Ticket(List<BudgetLease> held, BigDecimal worst, List<BucketLease> taken, long tokens) {
            this.held = held;
            this.worst = worst;
            this.taken = taken;
            this.tokens = tokens;
        }

        /** Replaces the worst case by the real cost, and gives back the tokens the call did not use. Once. */
        public synchronized void settle(BigDecimal cost, long tokensUsed) {
            if (settled) return;
            settled = true;
            for (BudgetLease l : held) l.settle(worst, cost);
            for (BucketLease b : taken) if (b.spec.tokens()) b.giveBack(tokens - tokensUsed);
        }

        /** The buckets as this replica last saw them in Redis, plus what its slices still hold (for the rate-limit headers). */
        public RedisCounters.Buckets buckets() {
            long[] remaining = new long[taken.size()], full = new long[taken.size()];
            for (int i = 0; i < taken.size(); i++) {
                BucketLease b = taken.get(i);
                synchronized (b) {
                    remaining[i] = Math.max(0, Math.min(b.spec.perMinute(), b.remainingInRedis + b.available));
                    full[i] = b.msUntilFull;
                }
            }
            return new RedisCounters.Buckets(-1, 0, remaining, full);
        }
    }

    /**
     * Counts a request on this replica's slices: its worst case on every budget and its take from every bucket, all or
     * nothing. Null when any slice lacks room (or is being renewed from scratch): count it in Redis instead.
     */
    public Ticket admit(List<RedisCounters.Target> targets, BigDecimal worst, List<RedisCounters.Bucket> take, long tokens) {
        List<BudgetLease> held = new ArrayList<>(targets.size());
        boolean fits = true;
        for (RedisCounters.Target t : targets) {
            // a budget changed at run time is a new entry: it gets a slice of its own
            String key = redis.budgetKey(t.entry().budget(), t.window().start()) + "@" + System.identityHashCode(t.entry());
            BudgetLease l = budgets.computeIfAbsent(key, k -> new BudgetLease(t));
            if (fits && l.hold(worst)) held.add(l);
            else fits = false;
        }
        List<BucketLease> taken = new ArrayList<>(take.size());
        for (RedisCounters.Bucket b : take) {
            String key = b.scope() + (b.tokens() ? ":tokens:" : ":requests:") + b.perMinute();
            BucketLease l = buckets.computeIfAbsent(key, k -> new BucketLease(b));
            if (fits && l.take(b.amount())) taken.add(l);
            else fits = false;
        }
        if (fits) return new Ticket(held, worst, taken, tokens);
        for (BudgetLease l : held) l.settle(worst, BigDecimal.ZERO);
        for (int i = 0; i < taken.size(); i++) taken.get(i).giveBack(take.get(i).amount());
        return null;
    }

    /** A slice of one budget in one period. */
    private final class BudgetLease {
        final RedisCounters.Target target;
        final BigDecimal slice;
        /** Its hold's name in Redis. */
        final String id = replica + leases.incrementAndGet();
        long lastUsed = System.nanoTime();
        /** The hold Redis has for this slice; what calls in flight hold of it; what settled calls spent, not yet reported. */
        BigDecimal granted = BigDecimal.ZERO, held = BigDecimal.ZERO, unreported = BigDecimal.ZERO;
        /** Requests fit in a slice: worth leasing. */
        boolean wanted;
        /** Near the limit: nothing is counted locally; the next report gives back what calls in flight do not hold. */
        boolean tight;
        /** The report on its way, or one that failed (sent again as it was, so that it is applied once). */
        Report pending;
        boolean sending;
        long seq;
        /** Until when (System.nanoTime) the slice is surely still held in Redis: half a lease after the last report that came back. */
        long validUntil = System.nanoTime();

        BudgetLease(RedisCounters.Target target) {
            this.target = target;
            this.slice = target.entry().budget().limitUsd().multiply(SLICE);
        }

        synchronized boolean hold(BigDecimal worst) {
            lastUsed = System.nanoTime();
            if (!wanted && worst.multiply(BigDecimal.valueOf(FITS)).compareTo(slice) <= 0) wanted = true;
            if (tight || System.nanoTime() - validUntil > 0) return false;
            if (held.add(unreported).add(worst).compareTo(granted) > 0) return false;
            held = held.add(worst);
            return true;
        }

        synchronized void settle(BigDecimal worst, BigDecimal cost) {
            held = held.subtract(worst);
            unreported = unreported.add(cost);
        }
    }

    private record Report(long seq, BigDecimal spent, BigDecimal keep, BigDecimal want) {
    }

    /** A slice of one rate-limit bucket: units taken from it in Redis, not yet used here. */
    private final class BucketLease {
        final RedisCounters.Bucket spec;
        final long slice;
        long available, remainingInRedis, msUntilFull;
        boolean wanted, sending;

        BucketLease(RedisCounters.Bucket spec) {
            this.spec = spec;
            this.slice = spec.perMinute() / BUCKET_SLICES;
        }

        synchronized boolean take(long amount) {
            if (!wanted && amount * FITS <= slice) wanted = true;
            if (available < amount) return false;
            available -= amount;
            return true;
        }

        synchronized void giveBack(long amount) {
            available += amount;
        }
    }

    /** Reports, renews and tops up every slice; runs on the Redis client's event loop. */
    private void tick() {
        try {
            budgets.forEach((key, l) -> report(key, l));
            buckets.values().forEach(this::refill);
        } catch (RuntimeException e) {
            log.warn("budget leases: {}", e.toString());
        }
    }

    private void report(String key, BudgetLease l) {
        Report r;
        synchronized (l) {
            if (l.sending) return;
            // a period over, or a slice no request used lately: give it back, keeping what calls in flight hold
            boolean done = !l.target.window().end().isAfter(clock.instant()) || System.nanoTime() - l.lastUsed > IDLE_NANOS;
            if (l.pending == null) {
                if (l.granted.signum() == 0 && l.unreported.signum() == 0) {
                    // an idle slice stays in the map (its hold's name is reused when traffic comes back); a period's
                    // slices go with it
                    if (l.held.signum() == 0 && !l.target.window().end().isAfter(clock.instant())) budgets.remove(key, l);
                    if (done || !l.wanted) return;
                }
                BigDecimal spent = l.unreported;
                // while not tight the slice is kept whole: calls counted on it while this report is on its way stay covered
                BigDecimal keep = l.tight || done ? l.held : l.granted.subtract(spent);
                BigDecimal want = done || !l.wanted ? keep : keep.max(l.held.add(l.slice));
                // a slice that shrinks counts nothing more until Redis has answered
                if (keep.compareTo(l.granted.subtract(spent)) < 0) l.tight = true;
                l.pending = new Report(++l.seq, spent, keep, want);
            }
            r = l.pending;
            l.sending = true;
        }
        send(l, r);
    }

    private io.vertx.core.Future<RedisCounters.Leased> send(BudgetLease l, Report r) {
        return redis.lease(l.target, l.id, r.seq(), r.spent(), r.keep(), r.want(), l.target.entry().budget().limitUsd().multiply(FLOOR), LEASE)
                .andThen(ar -> {
                    synchronized (l) {
                        l.sending = false;
                        if (ar.failed()) return; // sent again, as it was, next tick
                        l.pending = null;
                        l.unreported = l.unreported.subtract(r.spent());
                        l.granted = ar.result().granted();
                        l.tight = l.granted.compareTo(r.want()) < 0;
                        l.validUntil = System.nanoTime() + LEASE.toNanos() / 2;
                    }
                    RedisCounters.Counters c = ar.result().counters();
                    l.target.entry().observe(l.target.window().start(), c.spent(), c.reserved());
                    if (!ar.result().claimed().isEmpty()) alerting.alert(l.target.entry(), ar.result().claimed(), c.spent());
                });
    }

    /**
     * Reports what this replica spent on {@code entry} and gives back the part of its slices that no call in flight
     * holds, so that the shared counters read next are exact for this replica (the admin API's reads). Blocks.
     */
    public void giveBack(BudgetBook.Entry entry) {
        giveBack(l -> l.target.entry() == entry);
    }

    /** Reports and gives back every slice (a replica shutting down). Blocks. */
    public void giveBackAll() {
        giveBack(l -> true);
    }

    private void giveBack(java.util.function.Predicate<BudgetLease> which) {
        for (BudgetLease l : budgets.values()) {
            if (!which.test(l)) continue;
            Report r = null;
            for (int wait = 0; r == null && wait < 400; wait++) {
                synchronized (l) {
                    if (!l.sending) {
                        // tight while on its way: nothing is counted on a slice that is being given back
                        l.tight = true;
                        if (l.pending == null) l.pending = new Report(++l.seq, l.unreported, l.held, l.held);
                        r = l.pending;
                        l.sending = true;
                    }
                }
                if (r == null) sleep();
            }
            if (r != null) RedisCounters.await(send(l, r));
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while giving back budget slices", e);
        }
    }

    private void refill(BucketLease b) {
        synchronized (b) {
            if (!b.wanted || b.sending || b.available >= b.slice / 2) return;
            b.sending = true;
        }
        RedisCounters.Bucket chunk = new RedisCounters.Bucket(b.spec.scope(), b.spec.tokens(), b.spec.perMinute(), b.slice);
        redis.take(List.of(chunk)).onComplete(ar -> {
            synchronized (b) {
                b.sending = false;
                if (ar.failed()) return;
                RedisCounters.Buckets got = ar.result();
                if (got.allowed()) b.available += b.slice;
                b.remainingInRedis = got.remaining()[0];
                b.msUntilFull = got.msUntilFull()[0];
            }
        });
    }
}
