package dev.tollgate.store;

import java.math.BigDecimal;
import java.util.Map;

/** Totals for one group of a {@link SpendQuery}; {@code group} maps each grouped dimension to its value. */
public record SpendRow(Map<String, String> group, long requests, long inputTokens, long cachedInputTokens,
                       long cacheWriteTokens, long outputTokens, long reasoningTokens, BigDecimal costUsd) {
}
