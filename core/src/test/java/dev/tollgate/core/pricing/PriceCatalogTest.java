package dev.tollgate.core.pricing;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PriceCatalogTest {

    private static final PriceCatalog BUNDLED = PriceCatalog.bundled();

    private static List<ModelPrice> allPrices() {
        return BUNDLED.models().stream().flatMap(m -> BUNDLED.history(m).stream()).toList();
    }

    private static BigDecimal inputAt(String model, String instant) {
        return BUNDLED.priceAt(model, Instant.parse(instant)).orElseThrow().rates().input();
    }

    @Test
    void bundledCatalogLoadsEnoughModels() {
        assertThat(BUNDLED.size()).isGreaterThanOrEqualTo(75);
        assertThat(BUNDLED.models()).contains("gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro", "mistral-large",
                "deepseek-chat", "llama-3.3-70b-versatile", "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo");
    }

    @Test
    void everyEntryHasASourceAnEffectiveDateAndAKnownMode() {
        for (ModelPrice p : allPrices()) {
            assertThat(p.source()).as(p.version()).startsWith("https://");
            assertThat(p.effectiveFrom()).as(p.version()).isAfter(LocalDate.of(2020, 1, 1));
            assertThat(p.mode()).as(p.version()).isIn("chat", "completion", "embedding");
            assertThat(p.provider()).as(p.version()).isNotEqualTo("unknown");
        }
    }

    @Test
    void noRateIsNegativeAndTiersCostMore() {
        for (ModelPrice p : allPrices()) {
            assertRatesSane(p.version(), p.rates());
            for (PriceTier t : p.tiers()) {
                assertRatesSane(p.version(), t.rates());
                assertThat(t.aboveInputTokens()).isPositive();
                assertThat(t.rates().input()).as(p.version()).isGreaterThan(p.rates().input());
            }
            assertThat(p.batchDiscount()).as(p.version()).isBetween(BigDecimal.ZERO, new BigDecimal("0.5"));
        }
    }

    private static void assertRatesSane(String what, Rates r) {
        for (BigDecimal rate : List.of(r.input(), r.output(), r.cachedInput(), r.cacheWrite5m(), r.cacheWrite1h())) {
            assertThat(rate.signum()).as(what).isNotNegative();
        }
        assertThat(r.cachedInput()).as(what).isLessThanOrEqualTo(r.input());
    }

    @Test
    void everyAnthropicChatModelCarriesItsCacheRates() {
        List<ModelPrice> anthropic = allPrices().stream().filter(p -> p.provider().equals("anthropic")).toList();
        assertThat(anthropic).hasSizeGreaterThanOrEqualTo(10);
        for (ModelPrice p : anthropic) {
            Rates r = p.rates();
            assertThat(r.cachedInput()).as(p.version()).isLessThan(r.input());
            assertThat(r.cacheWrite5m()).as(p.version()).isGreaterThan(r.input());
            assertThat(r.cacheWrite1h()).as(p.version()).isGreaterThan(r.cacheWrite5m());
            assertThat(p.batchDiscount()).as(p.version()).isEqualByComparingTo("0.5");
        }
        Rates sonnet = BUNDLED.current("claude-sonnet-4-5").orElseThrow().rates();
        assertThat(sonnet.cacheWrite5m()).isEqualByComparingTo(sonnet.input().multiply(new BigDecimal("1.25")));
        assertThat(sonnet.cacheWrite1h()).isEqualByComparingTo(sonnet.input().multiply(new BigDecimal("2")));
        assertThat(sonnet.cachedInput()).isEqualByComparingTo(sonnet.input().multiply(new BigDecimal("0.1")));
    }

    @Test
    void longContextTiersOfSonnetAndGemini() {
        PriceTier sonnet = BUNDLED.current("claude-sonnet-4").orElseThrow().tiers().get(0);
        assertThat(sonnet.aboveInputTokens()).isEqualTo(200_000);
        assertThat(sonnet.rates().input()).isEqualByComparingTo("6");
        assertThat(sonnet.rates().output()).isEqualByComparingTo("22.50");
        PriceTier gemini = BUNDLED.current("gemini-2.5-pro").orElseThrow().tiers().get(0);
        assertThat(gemini.aboveInputTokens()).isEqualTo(200_000);
        assertThat(gemini.rates().input()).isEqualByComparingTo("2.50");
        assertThat(gemini.rates().output()).isEqualByComparingTo("15");
    }

    @Test
    void pricesOtherModulesRelyOn() {
        Rates mini = BUNDLED.current("gpt-4o-mini").orElseThrow().rates();
        assertThat(mini.input()).isEqualByComparingTo("0.15");
        assertThat(mini.cachedInput()).isEqualByComparingTo("0.075");
        assertThat(mini.output()).isEqualByComparingTo("0.60");
        Rates haiku = BUNDLED.current("claude-haiku-4-5").orElseThrow().rates();
        assertThat(haiku.input()).isEqualByComparingTo("1");
        assertThat(haiku.output()).isEqualByComparingTo("5");
        ModelPrice embedding = BUNDLED.current("text-embedding-3-small").orElseThrow();
        assertThat(embedding.mode()).isEqualTo("embedding");
        assertThat(embedding.rates().input()).isEqualByComparingTo("0.02");
        assertThat(BUNDLED.current("gpt-3.5-turbo-instruct").orElseThrow().mode()).isEqualTo("completion");
    }

    @Test
    void priceAtPicksThePriceInForceOnTheUtcDay() {
        assertThat(inputAt("gpt-4o", "2024-09-30T23:59:59Z")).isEqualByComparingTo("5");
        assertThat(inputAt("gpt-4o", "2024-10-01T00:00:00Z")).isEqualByComparingTo("2.50");
        assertThat(inputAt("gpt-4o", "2024-10-02T12:00:00Z")).isEqualByComparingTo("2.50");
        // 00:30 in UTC+2 is still 2024-09-30 in UTC
        Instant local = OffsetDateTime.parse("2024-10-01T00:30:00+02:00").toInstant();
        assertThat(BUNDLED.priceAt("gpt-4o", local).orElseThrow().rates().input()).isEqualByComparingTo("5");

        assertThat(inputAt("o3", "2025-06-09T23:59:59Z")).isEqualByComparingTo("10");
        assertThat(inputAt("o3", "2025-06-10T00:00:00Z")).isEqualByComparingTo("2");
        assertThat(BUNDLED.priceAt("o3", Instant.parse("2025-06-11T00:00:00Z")).orElseThrow().rates().output())
                .isEqualByComparingTo("8");
    }

    @Test
    void noPriceBeforeTheFirstEntry() {
        assertThat(BUNDLED.priceAt("gpt-4o", Instant.parse("2024-05-12T23:59:59Z"))).isEmpty();
        assertThat(BUNDLED.priceAt("gpt-4o", Instant.parse("2024-05-13T00:00:00Z"))).isPresent();
    }

    @Test
    void historyIsNewestFirst() {
        List<ModelPrice> history = BUNDLED.history("gpt-4o");
        assertThat(history).extracting(ModelPrice::effectiveFrom)
                .containsExactly(LocalDate.of(2024, 10, 1), LocalDate.of(2024, 5, 13));
    }

    @Test
    void resolveStripsPrefixesAndSnapshotsAndFollowsAliases() {
        assertThat(BUNDLED.resolve("gpt-4o")).contains("gpt-4o");
        assertThat(BUNDLED.resolve("openai/gpt-4o")).contains("gpt-4o");
        assertThat(BUNDLED.resolve("gpt-4o-2024-08-06")).contains("gpt-4o");
        assertThat(BUNDLED.resolve("openai/gpt-4o-2024-11-20")).contains("gpt-4o");
        assertThat(BUNDLED.resolve("gpt-4o-2024-05-13")).contains("gpt-4o-2024-05-13");
        assertThat(BUNDLED.resolve("claude-sonnet-4-5-20250929")).contains("claude-sonnet-4-5");
        assertThat(BUNDLED.resolve("anthropic/claude-sonnet-4-5-20250929")).contains("claude-sonnet-4-5");
        assertThat(BUNDLED.resolve("claude-sonnet-4-5@20250929")).contains("claude-sonnet-4-5");
        assertThat(BUNDLED.resolve("claude-3-5-haiku-latest")).contains("claude-3-5-haiku");
        assertThat(BUNDLED.resolve("claude-3-5-haiku-20241022")).contains("claude-3-5-haiku");
        assertThat(BUNDLED.resolve("gpt-4-0613")).contains("gpt-4");
        assertThat(BUNDLED.resolve("gpt-3.5-turbo-0125")).contains("gpt-3.5-turbo");
        assertThat(BUNDLED.resolve("mistral-large-2411")).contains("mistral-large");
        assertThat(BUNDLED.resolve("mistral-large-latest")).contains("mistral-large");
        assertThat(BUNDLED.resolve("gemini-2.0-flash-001")).contains("gemini-2.0-flash");
        assertThat(BUNDLED.resolve("GPT-4o")).contains("gpt-4o");
        assertThat(BUNDLED.resolve("together_ai/meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo"))
                .contains("meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo");
    }

    @Test
    void resolveAnswersEmptyForUnknownNames() {
        assertThat(BUNDLED.resolve("no-such-model")).isEmpty();
        assertThat(BUNDLED.resolve("openai/no-such-model-2024-08-06")).isEmpty();
        assertThat(BUNDLED.resolve("")).isEmpty();
        assertThat(BUNDLED.resolve(null)).isEmpty();
        assertThat(BUNDLED.history("no-such-model")).isEmpty();
        assertThat(BUNDLED.current("no-such-model")).isEmpty();
    }

    @Test
    void fourDigitEndingsThatAreNotDatesStayPartOfTheName() {
        PriceCatalog catalog = PriceCatalog.empty().with(List.of(price("llama3-70b", "2024-01-01", "1")));
        assertThat(catalog.resolve("llama3-70b-8192")).isEmpty();
        assertThat(catalog.resolve("llama3-70b-4096")).isEmpty();
        assertThat(catalog.resolve("llama3-70b-0613")).contains("llama3-70b");
        assertThat(catalog.resolve("llama3-70b-2411")).contains("llama3-70b");
    }

    @Test
    void withReplacesTheSameModelAndDayAndAddsOtherDays() {
        PriceCatalog changed = BUNDLED.with(List.of(price("gpt-4o", "2024-10-01", "3"), price("gpt-4o", "2030-01-01", "1")));
        assertThat(changed.history("gpt-4o")).hasSize(3);
        assertThat(changed.priceAt("gpt-4o", Instant.parse("2024-10-05T00:00:00Z")).orElseThrow().rates().input())
                .isEqualByComparingTo("3");
        assertThat(changed.priceAt("gpt-4o", Instant.parse("2030-01-02T00:00:00Z")).orElseThrow().rates().input())
                .isEqualByComparingTo("1");
        assertThat(changed.resolve("claude-3-5-haiku-latest")).contains("claude-3-5-haiku");
        // the original is untouched
        assertThat(BUNDLED.history("gpt-4o")).hasSize(2);
        assertThat(changed.size()).isEqualTo(BUNDLED.size());
    }

    @Test
    void fromYamlReadsRatesExactlyEvenUnquoted() throws Exception {
        String yaml = """
                models:
                  - model: my-llama
                    provider: self-hosted
                    aliases: [llama]
                    prices:
                      - effective: 2025-03-01
                        source: config
                        input: 0.1
                        output: "0.30000000000000004"
                  - {model: flat, input: "0.05", output: "0.08"}
                """;
        PriceCatalog catalog = PriceCatalog.fromYaml(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
        ModelPrice p = catalog.current("llama").orElseThrow();
        assertThat(p.rates().input()).isEqualTo(new BigDecimal("0.1"));
        assertThat(p.rates().output()).isEqualTo(new BigDecimal("0.30000000000000004"));
        assertThat(p.mode()).isEqualTo("chat");
        ModelPrice flat = catalog.current("flat").orElseThrow();
        assertThat(flat.effectiveFrom()).isEqualTo(LocalDate.EPOCH);
        assertThat(flat.provider()).isEqualTo("unknown");
    }

    private static ModelPrice price(String model, String day, String input) {
        return new ModelPrice(model, "test", "chat", LocalDate.parse(day), "test", Rates.of(input, input), null, null);
    }
}
