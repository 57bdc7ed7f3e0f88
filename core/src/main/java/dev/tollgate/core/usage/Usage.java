package dev.tollgate.core.usage;

/**
 * Tokens one call used, in one provider-neutral shape.
 *
 * <p>{@code inputTokens} counts <em>all</em> input tokens; {@code cachedInputTokens} (cache reads) and the two
 * cache-write counts are subsets of it. {@code outputTokens} counts all output tokens and already includes
 * {@code reasoningTokens}, which is kept for reporting only: reasoning is billed as output, never twice.
 * {@code webSearchRequests} counts the searches of a provider's web search tool, billed per search on top of the
 * tokens (Anthropic's {@code server_tool_use.web_search_requests}). The factories translate each provider's own convention (see shared/reference/provider-usage.md).
 */
public record Usage(long inputTokens, long cachedInputTokens, long cacheWrite5mTokens, long cacheWrite1hTokens,
                    long outputTokens, long reasoningTokens, long webSearchRequests) {

    public static final Usage ZERO = new Usage(0, 0, 0, 0, 0, 0);

    public Usage {
        if (inputTokens < 0 || cachedInputTokens < 0 || cacheWrite5mTokens < 0 || cacheWrite1hTokens < 0
                || outputTokens < 0 || reasoningTokens < 0 || webSearchRequests < 0) {
            throw new IllegalArgumentException("token counts cannot be negative");
        }
    }

    /** Tokens only: no web searches. */
    public Usage(long inputTokens, long cachedInputTokens, long cacheWrite5mTokens, long cacheWrite1hTokens,
                 long outputTokens, long reasoningTokens) {
        this(inputTokens, cachedInputTokens, cacheWrite5mTokens, cacheWrite1hTokens, outputTokens, reasoningTokens, 0);
    }

    /** The same tokens, with this many web searches. */
    public Usage withWebSearchRequests(long searches) {
        return new Usage(inputTokens, cachedInputTokens, cacheWrite5mTokens, cacheWrite1hTokens, outputTokens,
                reasoningTokens, searches);
    }

    /** OpenAI Chat Completions / Responses: prompt tokens include the cached ones, completion includes reasoning. */
    public static Usage openAi(long promptTokens, long cachedTokens, long completionTokens, long reasoningTokens) {
        return openAi(promptTokens, cachedTokens, 0, completionTokens, reasoningTokens);
    }

    /**
     * OpenAI with explicit prompt caching (GPT-5.6 and later): cache reads and cache writes are both subsets of the
     * prompt tokens. Writes are kept as the standard (5-minute bucket) write.
     */
    public static Usage openAi(long promptTokens, long cachedTokens, long cacheWriteTokens, long completionTokens,
                               long reasoningTokens) {
        long cached = Math.min(cachedTokens, promptTokens);
        return new Usage(promptTokens, cached, Math.min(cacheWriteTokens, promptTokens - cached), 0, completionTokens,
                Math.min(reasoningTokens, completionTokens));
    }

    /**
     * Anthropic Messages: {@code input_tokens} counts only what follows the last cache breakpoint; cache reads and
     * writes come on top of it.
     */
    public static Usage anthropic(long inputTokens, long cacheReadTokens, long cacheWrite5mTokens,
                                  long cacheWrite1hTokens, long outputTokens) {
        return new Usage(inputTokens + cacheReadTokens + cacheWrite5mTokens + cacheWrite1hTokens, cacheReadTokens,
                cacheWrite5mTokens, cacheWrite1hTokens, outputTokens, 0);
    }

    /** Input tokens that were neither read from nor written to a prompt cache. */
    public long uncachedInputTokens() {
        return inputTokens - cachedInputTokens - cacheWriteTokens();
    }

    public long cacheWriteTokens() {
        return cacheWrite5mTokens + cacheWrite1hTokens;
    }

    public long totalTokens() {
        return inputTokens + outputTokens;
    }

    /** Anthropic's own {@code input_tokens}: the input after the last cache breakpoint. */
    public long anthropicInputTokens() {
        return uncachedInputTokens();
    }
}
