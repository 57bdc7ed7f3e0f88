package dev.tollgate.planner.scenario;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * One use case's traffic. A workload of single calls is a conversation of one turn.
 *
 * <p>Turn {@code t} (1-based) of a conversation sends the system prompt, the history of the {@code t-1} earlier turns
 * ({@code historyPerTurn} tokens each), freshly retrieved context and the user's message, and gets
 * {@code outputTokens} back. The system prompt and the history are the stable prefix a prompt cache can serve;
 * {@code cacheHitRate} of that prefix is read from the cache, the rest is written to it (when the rate is above 0).
 *
 * @param conversationsPerDay conversations (or single requests) per day
 * @param inputSpread         standard deviation of the user's message and context size, as a fraction of the mean
 * @param outputSpread        standard deviation of the output size, as a fraction of the mean
 * @param growthPerMonth      compound growth of the volume per month (0.05 = 5%)
 * @param batch               whether calls may go through the provider's batch API (priced with its discount)
 */
public record Workload(String name, BigDecimal conversationsPerDay, int turns, long inputTokens, double inputSpread,
                       long outputTokens, double outputSpread, long systemPromptTokens, long contextTokens,
                       long historyPerTurn, BigDecimal growthPerMonth, BigDecimal cacheHitRate, boolean batch) {

    public Workload {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(conversationsPerDay, "conversationsPerDay");
        growthPerMonth = growthPerMonth == null ? BigDecimal.ZERO : growthPerMonth;
        cacheHitRate = cacheHitRate == null ? BigDecimal.ZERO : cacheHitRate;
        if (conversationsPerDay.signum() < 0) throw new IllegalArgumentException(name + ": conversations per day cannot be negative");
        if (turns < 1) throw new IllegalArgumentException(name + ": turns must be at least 1");
        if (inputTokens < 0 || outputTokens < 0 || systemPromptTokens < 0 || contextTokens < 0 || historyPerTurn < 0) {
            throw new IllegalArgumentException(name + ": token counts cannot be negative");
        }
        if (cacheHitRate.signum() < 0 || cacheHitRate.compareTo(BigDecimal.ONE) > 0) {
            throw new IllegalArgumentException(name + ": cache hit rate must be between 0 and 1");
        }
        if (inputSpread < 0 || outputSpread < 0) throw new IllegalArgumentException(name + ": spreads cannot be negative");
    }

    public Workload withConversationsPerDay(BigDecimal v) {
        return new Workload(name, v, turns, inputTokens, inputSpread, outputTokens, outputSpread, systemPromptTokens, contextTokens, historyPerTurn, growthPerMonth, cacheHitRate, batch);
    }

    public Workload withTurns(int v) {
        return new Workload(name, conversationsPerDay, v, inputTokens, inputSpread, outputTokens, outputSpread, systemPromptTokens, contextTokens, historyPerTurn, growthPerMonth, cacheHitRate, batch);
    }

    public Workload withInputTokens(long v) {
        return new Workload(name, conversationsPerDay, turns, v, inputSpread, outputTokens, outputSpread, systemPromptTokens, contextTokens, historyPerTurn, growthPerMonth, cacheHitRate, batch);
    }

    public Workload withOutputTokens(long v) {
        return new Workload(name, conversationsPerDay, turns, inputTokens, inputSpread, v, outputSpread, systemPromptTokens, contextTokens, historyPerTurn, growthPerMonth, cacheHitRate, batch);
    }

    public Workload withSystemPromptTokens(long v) {
        return new Workload(name, conversationsPerDay, turns, inputTokens, inputSpread, outputTokens, outputSpread, v, contextTokens, historyPerTurn, growthPerMonth, cacheHitRate, batch);
    }

    public Workload withContextTokens(long v) {
        return new Workload(name, conversationsPerDay, turns, inputTokens, inputSpread, outputTokens, outputSpread, systemPromptTokens, v, historyPerTurn, growthPerMonth, cacheHitRate, batch);
    }

    public Workload withHistoryPerTurn(long v) {
        return new Workload(name, conversationsPerDay, turns, inputTokens, inputSpread, outputTokens, outputSpread, systemPromptTokens, contextTokens, v, growthPerMonth, cacheHitRate, batch);
    }

    public Workload withCacheHitRate(BigDecimal v) {
        return new Workload(name, conversationsPerDay, turns, inputTokens, inputSpread, outputTokens, outputSpread, systemPromptTokens, contextTokens, historyPerTurn, growthPerMonth, v, batch);
    }
}
