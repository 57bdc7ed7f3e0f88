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

    /** A duration as OpenAI writes it in x-ratelimit-reset-*: "20ms", "1.5s", "6m0s". */
    static String duration(long nanos) {
        long ms = Math.max(0, (nanos + 999_999) / 1_000_000);
        if (ms < 1000) return ms + "ms";
        if (ms < 60_000) return BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString() + "s";
        return ms / 60_000 + "m" + (ms % 60_000) / 1000 + "s";
    }
}
