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
        // most calls have no cached input or cache writes: adding their zeros would only make copies
        BigDecimal tokens = plus(plus(plus(input, cachedInput), cacheWrite), output);
        return webSearch.signum() == 0 ? tokens : tokens.add(webSearch); // most calls search nothing: no fifth sum
    }

    /** {@code sum + term}, the same value and scale as {@link BigDecimal#add}, without a copy when either is a zero that changes no scale. */
    private static BigDecimal plus(BigDecimal sum, BigDecimal term) {
        if (term.signum() == 0 && term.scale() <= sum.scale()) return sum;
        if (sum.signum() == 0 && sum.scale() <= term.scale()) return term;
        return sum.add(term);
    }
}
