package dev.tollgate.core.pricing;

import java.math.BigDecimal;

/**
 * The exact price of one call, split by kind of token, plus what its web searches cost (billed per search). All
 * amounts are US dollars, never rounded.
 */
public record Cost(BigDecimal input, BigDecimal cachedInput, BigDecimal cacheWrite, BigDecimal output,
                   BigDecimal webSearch) {

    public static final Cost ZERO = new Cost(BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO);

    /** Tokens only. */
    public Cost(BigDecimal input, BigDecimal cachedInput, BigDecimal cacheWrite, BigDecimal output) {
        this(input, cachedInput, cacheWrite, output, BigDecimal.ZERO);
    }

    public BigDecimal total() {
        BigDecimal tokens = input.add(cachedInput).add(cacheWrite).add(output);
        return webSearch.signum() == 0 ? tokens : tokens.add(webSearch); // most calls search nothing: no fifth sum
    }
}
