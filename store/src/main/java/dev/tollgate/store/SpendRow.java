package dev.tollgate.store;

import java.math.BigDecimal;
import java.util.Map;

/**
 * Totals for one group of a {@link SpendQuery}; {@code group} maps each grouped dimension to its value.
 * {@code savedUsd} is what answers served again by the gateway's cache avoided, what budget downgrades to cheaper
 * models saved, and what tiers saved against their baseline (negative where a cascade paid for a cheap answer it threw
 * away). {@code requests} counts client requests (each once, in the group of the attempt that answered it);
 * {@code attempts} counts every call made for them: retries, fallbacks and escalated answers too.
 */
public record SpendRow(Map<String, String> group, long requests, long inputTokens, long cachedInputTokens,
                       long cacheWriteTokens, long outputTokens, long reasoningTokens, BigDecimal costUsd,
                       BigDecimal savedUsd, long attempts) {

    public SpendRow {
        savedUsd = savedUsd == null ? BigDecimal.ZERO : savedUsd;
    }

    /** A group where every attempt was its request's only one. */
    public SpendRow(Map<String, String> group, long requests, long inputTokens, long cachedInputTokens,
                    long cacheWriteTokens, long outputTokens, long reasoningTokens, BigDecimal costUsd,
                    BigDecimal savedUsd) {
        this(group, requests, inputTokens, cachedInputTokens, cacheWriteTokens, outputTokens, reasoningTokens, costUsd,
                savedUsd, requests);
    }

    public SpendRow(Map<String, String> group, long requests, long inputTokens, long cachedInputTokens,
                    long cacheWriteTokens, long outputTokens, long reasoningTokens, BigDecimal costUsd) {
        this(group, requests, inputTokens, cachedInputTokens, cacheWriteTokens, outputTokens, reasoningTokens, costUsd,
                BigDecimal.ZERO, requests);
    }
}
