package dev.tollgate.core.pricing;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * Rates in US dollars per million tokens. A missing cached-input rate means cached tokens cost the input rate;
 * a missing cache-write rate means writes cost the input rate (OpenAI charges no write fee; Anthropic's catalog
 * entries carry their 1.25× and 2× rates explicitly).
 */
public record Rates(BigDecimal input, BigDecimal output, BigDecimal cachedInput, BigDecimal cacheWrite5m,
                    BigDecimal cacheWrite1h) {

    public Rates {
        Objects.requireNonNull(input, "input rate");
        Objects.requireNonNull(output, "output rate");
        cachedInput = cachedInput == null ? input : cachedInput;
        cacheWrite5m = cacheWrite5m == null ? input : cacheWrite5m;
        cacheWrite1h = cacheWrite1h == null ? cacheWrite5m : cacheWrite1h;
        for (BigDecimal r : new BigDecimal[] {input, output, cachedInput, cacheWrite5m, cacheWrite1h}) {
            if (r.signum() < 0) throw new IllegalArgumentException("a rate cannot be negative: " + r);
        }
    }

    public static Rates of(String input, String output) {
        return new Rates(new BigDecimal(input), new BigDecimal(output), null, null, null);
    }

    public Rates times(BigDecimal factor) {
        return new Rates(input.multiply(factor), output.multiply(factor), cachedInput.multiply(factor),
                cacheWrite5m.multiply(factor), cacheWrite1h.multiply(factor));
    }
}
