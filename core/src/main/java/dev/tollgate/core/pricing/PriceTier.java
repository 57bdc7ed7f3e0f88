package dev.tollgate.core.pricing;

/**
 * A long-context tier: once a request's prompt (as billed, cached tokens included) exceeds
 * {@code aboveInputTokens}, the <em>whole</em> request is billed at these rates.
 */
public record PriceTier(long aboveInputTokens, Rates rates) {
}
