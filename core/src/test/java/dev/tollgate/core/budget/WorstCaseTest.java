package dev.tollgate.core.budget;

import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.PriceCatalog;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class WorstCaseTest {

    /** claude-haiku-4-5 (anthropic.com/pricing): $1 input, $1.25 five-minute and $2 one-hour cache writes, $5 output per million. */
    static final ModelPrice HAIKU = PriceCatalog.bundled().priceAt("claude-haiku-4-5", Instant.parse("2026-11-01T00:00:00Z")).orElseThrow();

    @Test
    void promptAtTheInputRateAndTheCapAtTheOutputRate() {
        // 1,000 × $1 + 10 × $5, per million
        assertThat(WorstCase.cost(HAIKU, 1000, 10)).isEqualByComparingTo("0.00105");
        assertThat(WorstCase.cost(HAIKU, 1000, 10, false)).isEqualByComparingTo("0.00105");
    }

    @Test
    void aPromptThatMayBeWrittenToTheCacheIsHeldAtTheDearestWriteRate() {
        // 1,000 × $2 (one-hour write) + 10 × $5, per million
        assertThat(WorstCase.cost(HAIKU, 1000, 10, true)).isEqualByComparingTo("0.00205");
    }
}
