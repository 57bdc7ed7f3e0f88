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
import java.util.function.BiConsumer;

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
        put(buckets, (name, value) -> headers.set(name, AsciiHeaders.of(value)));
    }

    private static void put(List<Left> buckets, BiConsumer<AsciiString, String> put) {
        Left requests = null, tokens = null;
        for (Left b : buckets) {
            if (b.tokens()) {
                if (tokens == null || b.remaining() < tokens.remaining()) tokens = b;
            } else if (requests == null || b.remaining() < requests.remaining()) {
                requests = b;
            }
        }
        if (requests != null) put(requests, REQUESTS, put);
        if (tokens != null) put(tokens, TOKENS, put);
    }

    /**
     * The three header names of one kind of bucket: limit, remaining, reset. Every answer sets them: as ASCII, their
     * hash is computed once and Netty copies them whole (a String is hashed, and written, a character at a time).
     */
    private static final AsciiString[] REQUESTS = names("requests");
    private static final AsciiString[] TOKENS = names("tokens");

    private static AsciiString[] names(String kind) {
        return new AsciiString[]{AsciiString.cached("x-ratelimit-limit-" + kind), AsciiString.cached("x-ratelimit-remaining-" + kind),
                AsciiString.cached("x-ratelimit-reset-" + kind)};
    }

    private static void put(Left b, AsciiString[] names, BiConsumer<AsciiString, String> put) {
        put.accept(names[0], String.valueOf(b.perMinute()));
        put.accept(names[1], String.valueOf(b.remaining()));
        put.accept(names[2], duration(b.nanosUntilFull()));
    }

    /** The 429 for a request that limit {@code scope} refused: when to retry, and every bucket's state. */
    public static GatewayError refused(String scope, boolean tokens, long perMinute, long retryAfterNanos, List<Left> buckets) {
        long seconds = Math.max(1, (retryAfterNanos + 999_999_999L) / 1_000_000_000L);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("retry-after", String.valueOf(seconds));
        put(buckets, (name, value) -> headers.put(name.toString(), value));
        String what = perMinute + (tokens ? " tokens per minute" : " requests per minute");
        return new GatewayError(429, tokens ? "tokens" : "requests", "rate_limit_exceeded",
                "rate limit of " + what + " reached for " + scope + "; retry in " + seconds + " s", null, headers);
    }

    /** A duration as OpenAI writes it in x-ratelimit-reset-*: "20ms", "1.5s", "6m0s". */
    static String duration(long nanos) {
        long ms = Math.max(0, (nanos + 999_999) / 1_000_000);
        if (ms < 1000) return ms + "ms";
        if (ms < 60_000) return BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString() + "s";
        return ms / 60_000 + "m" + (ms % 60_000) / 1000 + "s";
    }
}
