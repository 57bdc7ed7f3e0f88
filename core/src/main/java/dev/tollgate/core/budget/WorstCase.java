package dev.tollgate.core.budget;

import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.usage.Usage;

import java.math.BigDecimal;

/**
 * The most a request can cost before it is sent: every prompt token at the uncached input rate (a cache hit only
 * lowers it) and every output token it may generate at the output rate, at the long-context tier its prompt falls in.
 */
public final class WorstCase {

    private WorstCase() {
    }

    public static BigDecimal cost(ModelPrice price, long promptTokens, long maxOutputTokens) {
        return price.cost(Usage.openAi(promptTokens, 0, maxOutputTokens, 0)).total();
    }
}
