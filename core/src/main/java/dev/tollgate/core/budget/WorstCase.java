package dev.tollgate.core.budget;

import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.Rates;
import dev.tollgate.core.usage.Usage;

import java.math.BigDecimal;

/**
 * The most a request can cost before it is sent: every prompt token at the uncached input rate (a cache hit only
 * lowers it) and every output token it may generate at the output rate, at the long-context tier its prompt falls in.
 * A request that asks the provider to cache its prompt (Anthropic's {@code cache_control}) may pay the cache-write
 * premium on every prompt token instead (1.25× the input rate for five minutes, 2× for an hour).
 */
public final class WorstCase {

    private WorstCase() {
    }

    public static BigDecimal cost(ModelPrice price, long promptTokens, long maxOutputTokens) {
        return price.cost(Usage.openAi(promptTokens, 0, maxOutputTokens, 0)).total();
    }

    /** As above; with {@code cacheWrites}, every prompt token at the dearest of the input and cache-write rates. */
    public static BigDecimal cost(ModelPrice price, long promptTokens, long maxOutputTokens, boolean cacheWrites) {
        if (!cacheWrites) return cost(price, promptTokens, maxOutputTokens);
        Rates r = price.ratesFor(promptTokens);
        BigDecimal prompt = r.input().max(r.cacheWrite5m()).max(r.cacheWrite1h());
        return prompt.multiply(BigDecimal.valueOf(promptTokens)).add(r.output().multiply(BigDecimal.valueOf(maxOutputTokens)))
                .movePointLeft(6);
    }
}
