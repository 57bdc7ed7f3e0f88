package dev.tollgate.core.pricing;

import dev.tollgate.core.usage.Usage;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** OpenAI's Flex and Priority tiers in the price catalog: their published rates, their price versions, their format. */
class ServiceTierPriceTest {

    private static final PriceCatalog BUNDLED = PriceCatalog.bundled();
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

    private static ModelPrice at(String model, String tier) {
        return BUNDLED.priceAt(model, NOW).orElseThrow().atServiceTier(tier).orElseThrow();
    }

    @Test
    void callsAtFlexAndPriorityCostWhatOpenAiPublishes() {
        // o4-mini Flex: $0.55 input, $0.138 cached, $2.20 output per million;
        // 600,000 uncached + 400,000 cached input, 100,000 output: 0.33 + 0.0552 + 0.22
        assertThat(at("o4-mini", "flex").cost(Usage.openAi(1_000_000, 400_000, 100_000, 0)).total())
                .isEqualByComparingTo("0.6052");
        // gpt-4o Priority: $4.25 input, $17 output per million; 1M in, 1M out
        assertThat(at("gpt-4o-2024-08-06", "priority").cost(Usage.openAi(1_000_000, 0, 1_000_000, 0)).total())
                .isEqualByComparingTo("21.25");
        // gpt-5-mini Priority: $0.45 / $0.045 cached / $3.60; 10,000 in (2,000 cached), 1,000 out (reasoning inside)
        // 8,000×0.45 + 2,000×0.045 + 1,000×3.6 = 3600 + 90 + 3600 = 7290 per million
        assertThat(at("gpt-5-mini", "priority").cost(Usage.openAi(10_000, 2_000, 1_000, 300)).total())
                .isEqualByComparingTo("0.00729");
    }

    @Test
    void theStandardTierIsThePriceItselfAndTheVersionNamesOtherTiers() {
        ModelPrice gpt5 = BUNDLED.priceAt("gpt-5", NOW).orElseThrow();
        for (String standard : new String[] {null, "default", "auto"}) {
            assertThat(gpt5.atServiceTier(standard)).containsSame(gpt5);
        }
        assertThat(gpt5.version()).isEqualTo("gpt-5@2025-08-07");
        assertThat(at("gpt-5", "flex").version()).isEqualTo("gpt-5@2025-08-07:flex");
        assertThat(at("gpt-5", "priority").version()).isEqualTo("gpt-5@2025-08-07:priority");
        assertThat(at("gpt-5", "priority").serviceTier()).isEqualTo("priority");
    }

    @Test
    void aTierWithoutAPublishedRateHasNoPrice() {
        // OpenAI publishes no Priority rate for gpt-5-nano and no Flex rate for gpt-4o
        assertThat(BUNDLED.priceAt("gpt-5-nano", NOW).orElseThrow().atServiceTier("priority")).isEmpty();
        assertThat(BUNDLED.priceAt("gpt-4o", NOW).orElseThrow().atServiceTier("flex")).isEmpty();
        assertThat(BUNDLED.priceAt("gpt-5", NOW).orElseThrow().atServiceTier("scale")).isEmpty();
    }

    @Test
    void everyBundledFlexRateIsBelowStandardAndEveryPriorityRateAbove() {
        int tiers = 0;
        for (String model : BUNDLED.models()) {
            for (ModelPrice p : BUNDLED.history(model)) {
                for (var t : p.serviceTiers().entrySet()) {
                    tiers++;
                    int direction = t.getKey().equals("flex") ? -1 : 1;
                    assertThat(t.getKey()).as(p.version()).isIn("flex", "priority");
                    assertThat(t.getValue().input().compareTo(p.rates().input())).as(p.version() + " " + t.getKey()).isEqualTo(direction);
                    assertThat(t.getValue().output().compareTo(p.rates().output())).as(p.version() + " " + t.getKey()).isEqualTo(direction);
                    assertThat(t.getValue().cachedInput().compareTo(t.getValue().input())).as(p.version()).isLessThan(0);
                }
            }
        }
        assertThat(tiers).isEqualTo(19); // 5 flex + 14 priority entries
    }

    @Test
    void serviceTiersAreReadFromYamlAndWrittenBack() throws Exception {
        PriceCatalog catalog = yaml("""
                models:
                  - model: my-gpt
                    provider: openai
                    prices:
                      - effective: 2026-01-01
                        input: "1"
                        output: "8"
                        cached_input: "0.1"
                        service_tiers:
                          flex: {input: "0.5", cached_input: "0.05", output: "4"}
                          priority: {input: "2", output: 16}
                """);
        ModelPrice p = catalog.history("my-gpt").get(0);
        assertThat(p.serviceTiers().get("flex")).isEqualTo(new Rates(new BigDecimal("0.5"), new BigDecimal("4"), new BigDecimal("0.05"), null, null));
        assertThat(p.serviceTiers().get("priority").cachedInput()).isEqualByComparingTo("2"); // no cached rate: the input rate

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LiteLlmImport.writeYaml(List.of(p), out);
        ModelPrice back = PriceCatalog.fromYaml(new ByteArrayInputStream(out.toByteArray())).history("my-gpt").get(0);
        assertThat(back.serviceTiers()).isEqualTo(p.serviceTiers());
    }

    @Test
    void mistakesInServiceTiersAreNamed() {
        assertThatThrownBy(() -> yaml("""
                models:
                  - {model: m, input: "1", output: "2", service_tiers: {default: {input: "1", output: "2"}}}
                """)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'default' is not a tier name to price");
        assertThatThrownBy(() -> yaml("""
                models:
                  - {model: m, input: "1", output: "2", service_tiers: {flex: {input: "1"}}}
                """)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("service tier 'flex'")
                .hasMessageContaining("needs both 'input' and 'output'");
        assertThatThrownBy(() -> yaml("""
                models:
                  - {model: m, input: "1", output: "2", service_tiers: [flex]}
                """)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must map a tier name");
        assertThatThrownBy(() -> yaml("""
                models:
                  - {model: m, input: "1", output: "2", tiers: [{above_input_tokens: 1000, input: "2", output: "4"}],
                     service_tiers: {priority: {input: "2", output: "4"}}}
                """)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("long-context tiers and service_tiers");
    }

    private static PriceCatalog yaml(String text) throws Exception {
        return PriceCatalog.fromYaml(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }
}
