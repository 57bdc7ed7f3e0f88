package dev.tollgate.core.pricing;

import java.math.BigDecimal;

/** The exact price of one call, split by kind of token. All amounts are US dollars, never rounded. */
public record Cost(BigDecimal input, BigDecimal cachedInput, BigDecimal cacheWrite, BigDecimal output) {

    public static final Cost ZERO = new Cost(BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO);

    public BigDecimal total() {
        return input.add(cachedInput).add(cacheWrite).add(output);
    }
}
