package dev.tollgate.gateway.budget;

import dev.tollgate.core.ratelimit.TokenBucket;

import java.math.BigDecimal;
import java.util.List;
import java.util.function.BiConsumer;

/** OpenAI's {@code x-ratelimit-*} response headers, for the gateway's own rate limits. */
public final class RateLimitHeaders {

    private RateLimitHeaders() {
    }

    /** OpenAI's x-ratelimit-* headers for the tightest bucket of each kind. */
    public static void put(List<RateLimiter.Buckets> buckets, long now, BiConsumer<String, String> put) {
        TokenBucket requests = null, tokens = null;
        for (RateLimiter.Buckets b : buckets) {
            if (b.requests() != null && (requests == null || b.requests().remaining(now) < requests.remaining(now))) requests = b.requests();
            if (b.tokens() != null && (tokens == null || b.tokens().remaining(now) < tokens.remaining(now))) tokens = b.tokens();
        }
        if (requests != null) {
            put.accept("x-ratelimit-limit-requests", String.valueOf(requests.perMinute()));
            put.accept("x-ratelimit-remaining-requests", String.valueOf(requests.remaining(now)));
            put.accept("x-ratelimit-reset-requests", duration(requests.nanosUntilFull(now)));
        }
        if (tokens != null) {
            put.accept("x-ratelimit-limit-tokens", String.valueOf(tokens.perMinute()));
            put.accept("x-ratelimit-remaining-tokens", String.valueOf(tokens.remaining(now)));
            put.accept("x-ratelimit-reset-tokens", duration(tokens.nanosUntilFull(now)));
        }
    }

    /** The same headers from the shared buckets' state (as {@link RedisCounters#take} reported it). */
    public static void put(List<RedisCounters.Bucket> buckets, RedisCounters.Buckets state, BiConsumer<String, String> put) {
        int requests = -1, tokens = -1;
        for (int i = 0; i < buckets.size(); i++) {
            if (!buckets.get(i).tokens() && (requests < 0 || state.remaining()[i] < state.remaining()[requests])) requests = i;
            if (buckets.get(i).tokens() && (tokens < 0 || state.remaining()[i] < state.remaining()[tokens])) tokens = i;
        }
        if (requests >= 0) {
            put.accept("x-ratelimit-limit-requests", String.valueOf(buckets.get(requests).perMinute()));
            put.accept("x-ratelimit-remaining-requests", String.valueOf(state.remaining()[requests]));
            put.accept("x-ratelimit-reset-requests", duration(state.msUntilFull()[requests] * 1_000_000));
        }
        if (tokens >= 0) {
            put.accept("x-ratelimit-limit-tokens", String.valueOf(buckets.get(tokens).perMinute()));
            put.accept("x-ratelimit-remaining-tokens", String.valueOf(state.remaining()[tokens]));
            put.accept("x-ratelimit-reset-tokens", duration(state.msUntilFull()[tokens] * 1_000_000));
        }
    }

    /** A duration as OpenAI writes it in x-ratelimit-reset-*: "20ms", "1.5s", "6m0s". */
    static String duration(long nanos) {
        long ms = Math.max(0, (nanos + 999_999) / 1_000_000);
        if (ms < 1000) return ms + "ms";
        if (ms < 60_000) return BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString() + "s";
        return ms / 60_000 + "m" + (ms % 60_000) / 1000 + "s";
    }
}
