package dev.tollgate.gateway.budget;

import dev.tollgate.core.budget.Scope;
import dev.tollgate.core.ratelimit.TokenBucket;
import dev.tollgate.gateway.config.SpendControls;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Requests and tokens per minute per scope, as token buckets. A request takes one request and its worst-case token
 * count (prompt plus output cap) from every bucket that applies, or nothing at all; after the call the token take is
 * corrected to what the call really used. A scope whose value is {@code *} gives each key or tag value its own buckets.
 */
public final class RateLimiter {

    /** A scope's two buckets; either may be absent. */
    public record Buckets(String scope, TokenBucket requests, TokenBucket tokens) {
    }

    /**
     * The outcome of {@link #acquire}.
     *
     * @param held           the buckets taken from (empty when refused)
     * @param refusedBy      the scope that refused, or null
     * @param refusedTokens  whether it was the token limit (else the request limit)
     * @param retryAfterNanos how long until the request would be allowed
     */
    public record Decision(List<Buckets> held, String refusedBy, boolean refusedTokens, long retryAfterNanos) {
        public boolean allowed() {
            return refusedBy == null;
        }
    }

    private record Rule(SpendControls.RateLimit limit, boolean perValue, Buckets shared,
                        ConcurrentHashMap<String, Buckets> byValue) {
    }

    private final List<Rule> rules;
    private final LongSupplier nanoTime;

    public RateLimiter(List<SpendControls.RateLimit> limits, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        List<Rule> rules = new ArrayList<>();
        long now = nanoTime.getAsLong();
        for (SpendControls.RateLimit l : limits) {
            boolean perValue = "*".equals(l.scope().value());
            rules.add(new Rule(l, perValue, perValue ? null : buckets(l, l.scope().toString(), now),
                    perValue ? new ConcurrentHashMap<>() : null));
        }
        this.rules = List.copyOf(rules);
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    public long now() {
        return nanoTime.getAsLong();
    }

    private static Buckets buckets(SpendControls.RateLimit l, String scope, long now) {
        return new Buckets(scope, l.requestsPerMinute() > 0 ? new TokenBucket(l.requestsPerMinute(), now) : null,
                l.tokensPerMinute() > 0 ? new TokenBucket(l.tokensPerMinute(), now) : null);
    }

    /** The buckets that apply to a request by this key with these tags. */
    public List<Buckets> applicable(String keyName, Map<String, String> tags) {
        if (rules.isEmpty()) return List.of();
        List<Buckets> out = new ArrayList<>(2);
        for (Rule r : rules) {
            Scope s = r.limit.scope();
            if (!r.perValue) {
                if (s.matches(keyName, tags)) out.add(r.shared);
                continue;
            }
            String value = s.isKey() ? keyName : s.isOrg() ? "org" : tags.get(s.dimension());
            if (value == null) continue;
            out.add(r.byValue.computeIfAbsent(value, v -> buckets(r.limit, s.dimension() + ":" + v, nanoTime.getAsLong())));
        }
        return out;
    }

    /** Takes one request and {@code tokens} from every bucket in {@code buckets}, or nothing. */
    public Decision acquire(List<Buckets> buckets, long tokens) {
        long now = nanoTime.getAsLong();
        for (int i = 0; i < buckets.size(); i++) {
            Buckets b = buckets.get(i);
            long wait = b.requests == null ? 0 : b.requests.tryTake(1, now);
            if (wait == 0 && b.tokens != null) {
                wait = b.tokens.tryTake(tokens, now);
                if (wait > 0) {
                    if (b.requests != null) b.requests.adjust(1, now);
                    giveBack(buckets.subList(0, i), tokens, now);
                    return new Decision(List.of(), b.scope, true, wait);
                }
            }
            if (wait > 0) {
                giveBack(buckets.subList(0, i), tokens, now);
                return new Decision(List.of(), b.scope, false, wait);
            }
        }
        return new Decision(buckets, null, false, 0);
    }

    private static void giveBack(List<Buckets> taken, long tokens, long now) {
        for (Buckets b : taken) {
            if (b.requests != null) b.requests.adjust(1, now);
            if (b.tokens != null) b.tokens.adjust(tokens, now);
        }
    }

    /** Gives back what {@link #acquire} took for a request that is not sent after all. */
    public void release(List<Buckets> held, long tokens) {
        giveBack(held, tokens, nanoTime.getAsLong());
    }

    /** Replaces a request's worst-case token take by what it used. */
    public void correct(List<Buckets> held, long reservedTokens, long usedTokens) {
        long now = nanoTime.getAsLong();
        for (Buckets b : held) if (b.tokens != null) b.tokens.adjust(reservedTokens - usedTokens, now);
    }
}
