package dev.tollgate.core.pricing;

import dev.tollgate.core.usage.Usage;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Cost arithmetic: every expected amount below was worked out by hand from the rates. */
class ModelPriceTest {

    private static final LocalDate DAY = LocalDate.of(2025, 1, 1);

    /** gpt-4o-like: 2.50 input, 1.25 cached input, 10 output; batch half price. */
    private static final ModelPrice OPENAI = new ModelPrice("gpt-4o", "openai", "chat", DAY, "test",
            rates("2.50", "10", "1.25", null, null), List.of(), new BigDecimal("0.5"));

    /** Sonnet-4.5-like: 3 / 15, cache read 0.30, writes 3.75 (5m) and 6 (1h); above 200k tokens 6 / 22.50 / 0.60 / 7.50 / 12. */
    private static final ModelPrice ANTHROPIC = new ModelPrice("claude-sonnet-4-5", "anthropic", "chat", DAY, "test",
            rates("3", "15", "0.30", "3.75", "6"),
            List.of(new PriceTier(200_000, rates("6", "22.50", "0.60", "7.50", "12"))), new BigDecimal("0.5"));

    private static Rates rates(String in, String out, String cached, String w5, String w1) {
        return new Rates(new BigDecimal(in), new BigDecimal(out), dec(cached), dec(w5), dec(w1));
    }

    private static BigDecimal dec(String s) {
        return s == null ? null : new BigDecimal(s);
    }

    @Test
    void openAiCachedAndReasoningTokens() {
        // prompt 1000 of which 400 cached; completion 500 of which 200 reasoning (already inside the 500)
        Cost cost = OPENAI.cost(Usage.openAi(1000, 400, 500, 200));
        assertThat(cost.input()).isEqualByComparingTo("0.0015");        // 600 × 2.50 / 1M
        assertThat(cost.cachedInput()).isEqualByComparingTo("0.0005");  // 400 × 1.25 / 1M
        assertThat(cost.cacheWrite()).isEqualByComparingTo("0");
        assertThat(cost.output()).isEqualByComparingTo("0.005");        // 500 × 10 / 1M, reasoning not added again
        assertThat(cost.total()).isEqualByComparingTo("0.007");
    }

    @Test
    void totalKeepsTheScaleOfAnExactSumWhateverItsZeroTerms() {
        // the ledger keeps the total as it is: its scale must be BigDecimal.add's (the largest of the terms'), zeros included
        // 1000 × 2.50 / 1M = 0.0025 at scale 2 + 6, 500 × 10 / 1M = 0.005 at scale 0 + 6: 0.0075 at scale 8
        assertThat(OPENAI.cost(Usage.openAi(1000, 0, 500, 0)).total()).isEqualTo(new BigDecimal("0.00750000"));
        // a zero of scale 3 beside 0.5 and 0.25 makes 0.750; a total of zeros only is the zero of the largest scale
        assertThat(new Cost(new BigDecimal("0.5"), new BigDecimal("0.000"), BigDecimal.ZERO, new BigDecimal("0.25")).total())
                .isEqualTo(new BigDecimal("0.750"));
        assertThat(new Cost(BigDecimal.ZERO, new BigDecimal("0.00"), BigDecimal.ZERO, BigDecimal.ZERO).total())
                .isEqualTo(new BigDecimal("0.00"));
    }

    @Test
    void reasoningTokensAreNotBilledTwice() {
        Cost withReasoning = OPENAI.cost(Usage.openAi(0, 0, 500, 200));
        Cost without = OPENAI.cost(Usage.openAi(0, 0, 500, 0));
        assertThat(withReasoning.total()).isEqualByComparingTo(without.total()).isEqualByComparingTo("0.005");
    }

    @Test
    void anthropicCacheReadAndBothCacheWrites() {
        // input_tokens 100 (after the breakpoint), cache read 2000, 5m write 1000, 1h write 500, output 300
        Cost cost = ANTHROPIC.cost(Usage.anthropic(100, 2000, 1000, 500, 300));
        assertThat(cost.input()).isEqualByComparingTo("0.0003");        // 100 × 3 / 1M
        assertThat(cost.cachedInput()).isEqualByComparingTo("0.0006");  // 2000 × 0.30 / 1M
        assertThat(cost.cacheWrite()).isEqualByComparingTo("0.00675");  // (1000 × 3.75 + 500 × 6) / 1M
        assertThat(cost.output()).isEqualByComparingTo("0.0045");       // 300 × 15 / 1M
        assertThat(cost.total()).isEqualByComparingTo("0.01215");
    }

    @Test
    void webSearchesAreBilledPerSearchOnTopOfTheTokensAndNotDiscountedInBatch() throws Exception {
        ModelPrice haiku = PriceCatalog.bundled().current("claude-haiku-4-5").orElseThrow();
        // Claude Haiku 4.5: $1 / $5 per million tokens, web search $10 per 1,000 searches (a cent each)
        Usage usage = Usage.anthropic(1000, 0, 0, 0, 100).withWebSearchRequests(3);
        Cost cost = haiku.cost(usage);
        assertThat(cost.webSearch()).isEqualByComparingTo("0.03");
        assertThat(cost.total()).isEqualByComparingTo("0.0315");      // 0.001 + 0.0005 + 0.03
        assertThat(haiku.cost(usage, true).total()).isEqualByComparingTo("0.03075"); // tokens at half price, searches not
        assertThat(OPENAI.cost(Usage.openAi(0, 0, 0, 0).withWebSearchRequests(3)).total()).as("no fee in the entry").isZero();
    }

    @Test
    void longContextTierAppliesOnlyAboveTheThreshold() {
        Cost atThreshold = ANTHROPIC.cost(Usage.openAi(200_000, 0, 1000, 0));
        assertThat(atThreshold.total()).isEqualByComparingTo("0.615");      // 200000 × 3 + 1000 × 15, per 1M
        Cost above = ANTHROPIC.cost(Usage.openAi(200_001, 0, 1000, 0));
        assertThat(above.input()).isEqualByComparingTo("1.200006");         // 200001 × 6 / 1M
        assertThat(above.output()).isEqualByComparingTo("0.0225");          // 1000 × 22.50 / 1M
        assertThat(above.total()).isEqualByComparingTo("1.222506");
    }

    @Test
    void tierThresholdCountsCacheReadsAndWrites() {
        // 1000 fresh + 199001 cache reads = 200001 prompt tokens as billed: the whole request moves to the tier
        Cost cost = ANTHROPIC.cost(Usage.anthropic(1000, 199_001, 0, 0, 0));
        assertThat(cost.input()).isEqualByComparingTo("0.006");             // 1000 × 6 / 1M
        assertThat(cost.cachedInput()).isEqualByComparingTo("0.1194006");   // 199001 × 0.60 / 1M
        assertThat(ANTHROPIC.ratesFor(200_000)).isEqualTo(ANTHROPIC.rates());
    }

    @Test
    void batchDiscountHalvesEveryKindOfToken() {
        assertThat(OPENAI.cost(Usage.openAi(1000, 400, 500, 200), true).total()).isEqualByComparingTo("0.0035");
        Cost batch = ANTHROPIC.cost(Usage.anthropic(100, 2000, 1000, 500, 300), true);
        assertThat(batch.total()).isEqualByComparingTo("0.006075");
        assertThat(batch.cacheWrite()).isEqualByComparingTo("0.003375");
    }

    @Test
    void batchFlagIsIgnoredWithoutABatchDiscount() {
        ModelPrice noBatch = new ModelPrice("m", "p", "chat", DAY, "test", Rates.of("1", "2"), null, null);
        Usage usage = Usage.openAi(1000, 0, 1000, 0);
        assertThat(noBatch.cost(usage, true)).isEqualTo(noBatch.cost(usage));
        assertThat(noBatch.cost(usage).total()).isEqualByComparingTo("0.003");
    }

    @Test
    void zeroUsageCostsNothing() {
        assertThat(OPENAI.cost(Usage.ZERO)).isEqualTo(Cost.ZERO);
        assertThat(ANTHROPIC.cost(Usage.ZERO, true).total()).isEqualByComparingTo("0");
    }

    @Test
    void costsAreExactWithoutRounding() {
        ModelPrice cheap = new ModelPrice("m", "p", "chat", DAY, "test", Rates.of("0.075", "0.30"), null, null);
        BigDecimal oneToken = cheap.cost(Usage.openAi(1, 0, 1, 0)).total();
        assertThat(oneToken).isEqualByComparingTo("0.000000375");
        BigDecimal sum = BigDecimal.ZERO;
        for (int i = 0; i < 1_000_000; i++) sum = sum.add(oneToken);
        assertThat(sum).isEqualByComparingTo(cheap.cost(Usage.openAi(1_000_000, 0, 1_000_000, 0)).total())
                .isEqualByComparingTo("0.375");
    }

    @Test
    void missingRatesFallBackToTheInputRate() {
        Rates r = new Rates(new BigDecimal("2"), new BigDecimal("8"), null, new BigDecimal("2.5"), null);
        assertThat(r.cachedInput()).isEqualByComparingTo("2");
        assertThat(r.cacheWrite5m()).isEqualByComparingTo("2.5");
        assertThat(r.cacheWrite1h()).isEqualByComparingTo("2.5");
        assertThatThrownBy(() -> Rates.of("-1", "1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tiersAreSortedAndTheHighestPassedOneApplies() {
        ModelPrice p = new ModelPrice("m", "p", "chat", DAY, "test", Rates.of("1", "1"),
                List.of(new PriceTier(200_000, Rates.of("3", "3")), new PriceTier(100_000, Rates.of("2", "2"))), null);
        assertThat(p.ratesFor(100_000).input()).isEqualByComparingTo("1");
        assertThat(p.ratesFor(100_001).input()).isEqualByComparingTo("2");
        assertThat(p.ratesFor(200_001).input()).isEqualByComparingTo("3");
        assertThat(p.version()).isEqualTo("m@2025-01-01");
    }
}
