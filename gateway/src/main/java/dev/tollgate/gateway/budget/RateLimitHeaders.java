package dev.tollgate.gateway.budget;

import dev.tollgate.core.ratelimit.TokenBucket;
import dev.tollgate.gateway.AsciiHeaders;
import dev.tollgate.gateway.GatewayError;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * The answers of the gateway's own rate limits as OpenAI's clients know them: the {@code x-ratelimit-*} headers and a
 * 429 with {@code retry-after}, from in-process buckets and from shared ones (Redis) alike.
 */
public final class RateLimitHeaders {

    private RateLimitHeaders() {
    }

    /** One bucket as its client sees it: of requests or of tokens, its size, what is left, and when it is full again. */
    public record Left(boolean tokens, long perMinute, long remaining, long nanosUntilFull) {
    }

    /** The in-process buckets at {@code now}. */
    public static List<Left> of(List<RateLimiter.Buckets> buckets, long now) {
        List<Left> left = new ArrayList<>(2 * buckets.size());
        for (RateLimiter.Buckets b : buckets) {
            if (b.requests() != null) left.add(left(false, b.requests(), now));
            if (b.tokens() != null) left.add(left(true, b.tokens(), now));
        }
        return left;
    }

    private static Left left(boolean tokens, TokenBucket b, long now) {
        return new Left(tokens, b.perMinute(), b.remaining(now), b.nanosUntilFull(now));
    }

    /** The shared buckets as {@link RedisCounters#take} reported them. */
    public static List<Left> of(List<RedisCounters.Bucket> buckets, RedisCounters.Buckets state) {
        List<Left> left = new ArrayList<>(buckets.size());
        for (int i = 0; i < buckets.size(); i++) {
            left.add(new Left(buckets.get(i).tokens(), buckets.get(i).perMinute(), state.remaining()[i], state.msUntilFull()[i] * 1_000_000));
        }
        return left;
    }

    /** OpenAI's x-ratelimit-* headers for the tightest bucket of each kind, on an answer's head. */
    public static void put(List<Left> buckets, MultiMap headers) {
        Left requests = tightest(buckets, false), tokens = tightest(buckets, true);
        if (requests != null) REQUESTS.put(requests, headers);
        if (tokens != null) TOKENS.put(tokens, headers);
    }

    private static void put(List<Left> buckets, Map<String, String> headers) {
        Left requests = tightest(buckets, false), tokens = tightest(buckets, true);
        if (requests != null) REQUESTS.put(requests, headers);
        if (tokens != null) TOKENS.put(tokens, headers);
    }

    /** The bucket of the kind with the least left; null if there is none. */
    private static Left tightest(List<Left> buckets, boolean tokens) {
        Left tightest = null;
        for (Left b : buckets) {
            if (b.tokens() == tokens && (tightest == null || b.remaining() < tightest.remaining())) tightest = b;
        }
        return tightest;
    }

    private static final Kind REQUESTS = new Kind("requests");
    private static final Kind TOKENS = new Kind("tokens");

    /**
     * The three headers of one kind of bucket: limit, remaining, reset. Every answer sets them: the names as ASCII
     * (hashed once, copied whole by Netty) and each value as the one last written while it is the same, as it is on
     * answer after answer when the limits are far above the load (the buckets stay about full).
     */
    private static final class Kind {
        final AsciiString limitName, remainingName, resetName;
        final LastValue limit = new LastValue(), remaining = new LastValue(), reset = new LastValue();

        Kind(String kind) {
            limitName = AsciiString.cached("x-ratelimit-limit-" + kind);
            remainingName = AsciiString.cached("x-ratelimit-remaining-" + kind);
            resetName = AsciiString.cached("x-ratelimit-reset-" + kind);
        }

        void put(Left b, MultiMap headers) {
            headers.set(limitName, limit.of(b.perMinute(), String::valueOf));
            headers.set(remainingName, remaining.of(b.remaining(), String::valueOf));
            headers.set(resetName, reset.of(resetMillis(b.nanosUntilFull()), RateLimitHeaders::duration));
        }

        void put(Left b, Map<String, String> headers) {
            headers.put(limitName.toString(), String.valueOf(b.perMinute()));
            headers.put(remainingName.toString(), String.valueOf(b.remaining()));
            headers.put(resetName.toString(), duration(resetMillis(b.nanosUntilFull())));
        }
    }

    /** A header value made from a number, kept for the next answer with the same number. */
    private static final class LastValue {
        private record Made(long number, AsciiString text) {
        }

        private volatile Made last = new Made(0, null);

        AsciiString of(long number, LongFunction<String> format) {
            Made m = last;
            if (m.text() != null && m.number() == number) return m.text();
            AsciiString text = AsciiHeaders.of(format.apply(number));
            last = new Made(number, text);
            return text;
        }
    }

    /** The 429 for a request that limit {@code scope} refused: when to retry, and every bucket's state. */
    public static GatewayError refused(String scope, boolean tokens, long perMinute, long retryAfterNanos, List<Left> buckets) {
        long seconds = Math.max(1, (retryAfterNanos + 999_999_999L) / 1_000_000_000L);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("retry-after", String.valueOf(seconds));
        put(buckets, headers);
        String what = perMinute + (tokens ? " tokens per minute" : " requests per minute");
        return new GatewayError(429, tokens ? "tokens" : "requests", "rate_limit_exceeded",
                "rate limit of " + what + " reached for " + scope + "; retry in " + seconds + " s", null, headers);
    }

    /** Nanoseconds to whole milliseconds, rounded up: the resolution of x-ratelimit-reset-*. */
    private static long resetMillis(long nanos) {
        return Math.max(0, (nanos + 999_999) / 1_000_000);
    }

    /** Milliseconds as OpenAI writes a duration in x-ratelimit-reset-*: "20ms", "1.5s", "6m0s". */
    static String duration(long ms) {
        if (ms < 1000) return ms + "ms";
        if (ms < 60_000) return BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString() + "s";
        return ms / 60_000 + "m" + (ms % 60_000) / 1000 + "s";
    }
}
