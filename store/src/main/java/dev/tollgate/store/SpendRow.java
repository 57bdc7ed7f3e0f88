package dev.tollgate.store;

import java.math.BigDecimal;
import java.util.Map;

/**
 * Totals for one group of a {@link SpendQuery}; {@code group} maps each grouped dimension to its value.
 * {@code savedUsd} is what answers served again by the gateway's cache avoided, and what budget downgrades to cheaper
 * models saved.
 */
public record SpendRow(Map<String, String> group, long requests, long inputTokens, long cachedInputTokens,
                       long cacheWriteTokens, long outputTokens, long reasoningTokens, BigDecimal costUsd,
                       BigDecimal savedUsd) {

    public SpendRow {
        savedUsd = savedUsd == null ? BigDecimal.ZERO : savedUsd;
    }

    public SpendRow(Map<String, String> group, long requests, long inputTokens, long cachedInputTokens,
                    long cacheWriteTokens, long outputTokens, long reasoningTokens, BigDecimal costUsd) {
        this(group, requests, inputTokens, cachedInputTokens, cacheWriteTokens, outputTokens, reasoningTokens, costUsd,
                BigDecimal.ZERO);
    }
}
