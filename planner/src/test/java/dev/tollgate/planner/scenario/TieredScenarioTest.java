package dev.tollgate.planner.scenario;

import dev.tollgate.core.pricing.PriceCatalog;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Scenarios that split their traffic into tiers, with self-hosted models and a response cache. */
class TieredScenarioTest {

    // the workload of ScenarioCalculatorTest (30 days, 1000 two-turn conversations a day): gpt-4o-mini costs
    // $4.55625 a month there, claude-haiku-4-5 $32.1375
    static final String TIERED = ScenarioCalculatorTest.YAML.replace("models: [gpt-4o-mini, claude-haiku-4-5]",
            "models: [gpt-4o-mini, halves, mostly-own, own-8b]") + """
            gpus:
              - {name: my-card, memory_gb: 24, bandwidth_tb_per_s: 0.3, bf16_tflops: 121, hourly: 3.60}
            self_hosted:
              - {name: own-8b, gpu: my-card, utilization: 0.5, decode_tokens_per_second: 1000, prefill_tokens_per_second: 10000, fixed_monthly: 100}
            mixes:
              - name: halves
                response_cache_hit_rate: 0.2
                tiers: [{model: gpt-4o-mini, share: 0.5}, {model: claude-haiku-4-5, share: 0.5}]
              - name: mostly-own
                tiers: [{model: own-8b, share: 0.6}, {model: gpt-4o-mini, share: 0.4}]
            """;

    final ScenarioCalculator calc = new ScenarioCalculator(PriceCatalog.bundled(), ScenarioCalculatorTest.NOW);

    static Scenario read(String yaml) throws Exception {
        return ScenarioReader.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aMixWeighsItsTiersAndTheResponseCacheAnswersForFree() throws Exception {
        Scenario s = read(TIERED);
        ModelCost halves = calc.cost(s, "halves");
        // 80% of calls reach a model: 0.8 * (0.5 * 4.55625 + 0.5 * 32.1375)
        assertThat(halves.monthly()).isEqualByComparingTo("14.6775");
        BigDecimal year = new BigDecimal("14.6775").multiply(new BigDecimal("1.1").pow(12).subtract(BigDecimal.ONE)).divide(new BigDecimal("0.1"));
        assertThat(halves.yearly()).isEqualByComparingTo(year);
        // calls per month are the users' calls, cached or not: 1000 * 2 * 30
        assertThat(halves.monthlyCalls()).isEqualByComparingTo("60000");
        assertThat(s.before()).contains("gpt-4o-mini");

        List<ScenarioCalculator.TierCost> tiers = calc.tiers(s, s.mix("halves").orElseThrow());
        assertThat(tiers).hasSize(3);
        assertThat(tiers.get(0).monthly()).isEqualByComparingTo("1.8225");      // 0.8 * 0.5 * 4.55625
        assertThat(tiers.get(1).monthly()).isEqualByComparingTo("12.855");      // 0.8 * 0.5 * 32.1375
        assertThat(tiers.get(0).monthlyCalls()).isEqualByComparingTo("24000");  // 60000 * 0.8 * 0.5
        assertThat(tiers.get(2).model()).isNull();
        assertThat(tiers.get(2).monthlyCalls()).isEqualByComparingTo("12000");  // the response cache's 20%
        assertThat(tiers.get(2).monthly()).isZero();
    }

    @Test
    void aSelfHostedModelIsPricedByTheGpuTimeOfItsCalls() throws Exception {
        Scenario s = read(TIERED);
        // turn 1: 300 prompt tokens, 100 of them cached: 200 prefilled at 10,000/s = 0.02 s; 50 out at 1,000/s = 0.05 s
        // turn 2: 450 prompt tokens, 175 cached: 275 prefilled = 0.0275 s; 0.05 s decode
        // 0.1475 s busy / 0.5 utilization = 0.295 paid seconds at $3.60/h ($0.001/s) = $0.000295 a conversation
        ModelCost own = calc.cost(s, "own-8b");
        assertThat(own.workloads().getFirst().perConversation()).isEqualByComparingTo("0.000295");
        // 30,000 conversations, plus the fixed $100
        assertThat(own.usageMonthly()).isEqualByComparingTo("8.85");
        assertThat(own.monthly()).isEqualByComparingTo("108.85");
        assertThat(own.yearly()).isEqualByComparingTo(new BigDecimal("8.85").multiply(new BigDecimal("1.1").pow(12).subtract(BigDecimal.ONE))
                .divide(new BigDecimal("0.1")).add(new BigDecimal("1200")));
    }

    @Test
    void aSelfHostedTierCarriesItsFixedCostOnceWhateverItsShare() throws Exception {
        Scenario s = read(TIERED);
        // 0.6 * 8.85 + 0.4 * 4.55625 + 100
        assertThat(calc.cost(s, "mostly-own").monthly()).isEqualByComparingTo("107.1325");
        assertThat(calc.tiers(s, s.mix("mostly-own").orElseThrow()).getFirst().monthly()).isEqualByComparingTo("105.31");
    }

    @Test
    void aSelfHostedShapeOnABuiltInL4IsPricedFromTheThroughputModel() throws Exception {
        Scenario s = read(ScenarioCalculatorTest.YAML.replace("models: [gpt-4o-mini, claude-haiku-4-5]", "models: [small-on-l4]") + """
                self_hosted:
                  - {name: small-on-l4, shape: llama-3-8b, precision: fp8, gpu: l4, batch: 16, utilization: 0.5}
                """);
        SelfHostedModel m = s.selfHosted("small-on-l4").orElseThrow();
        assertThat(m.gpuHourly()).isEqualByComparingTo("0.70");
        // one replica-second costs 0.70 / 3600 / 0.5 dollars
        assertThat(m.cost(1)).isEqualByComparingTo(new BigDecimal("0.70").divide(new BigDecimal("1800"), new java.math.MathContext(12)));
        assertThat(calc.cost(s, "small-on-l4").monthly()).isPositive();
    }

    @Test
    void mistakesInTiersAreNamed() {
        assertThatThrownBy(() -> read(TIERED.replace("share: 0.4}", "share: 0.3}")))
                .hasMessageContaining("mix 'mostly-own': tier shares add up to 0.9, not 1");
        assertThatThrownBy(() -> read(TIERED.replace("response_cache_hit_rate", "response_cache")))
                .hasMessageContaining("unknown field 'response_cache'").hasMessageContaining("response_cache_hit_rate");
        assertThatThrownBy(() -> read(TIERED.replace("fixed_monthly", "fixed")))
                .hasMessageContaining("unknown field 'fixed'").hasMessageContaining("fixed_monthly");
        assertThatThrownBy(() -> read(TIERED.replace("gpu: my-card", "gpu: tpu")))
                .hasMessageContaining("unknown GPU 'tpu'").hasMessageContaining("l4");
        assertThatThrownBy(() -> read(TIERED.replace("{model: gpt-4o-mini, share: 0.4}", "{model: halves, share: 0.4}")))
                .hasMessageContaining("a tier cannot be another mix");
        assertThatThrownBy(() -> read(TIERED.replace("decode_tokens_per_second: 1000, ", "")))
                .hasMessageContaining("give both decode_tokens_per_second and prefill_tokens_per_second");
    }

    @Test
    void theTieredSupportExampleTellsTheStory() throws Exception {
        try (InputStream in = Files.newInputStream(Path.of("../examples/tiered-support-plan.yaml"))) {
            Scenario s = ScenarioReader.read(in);
            BigDecimal before = calc.cost(s, "claude-sonnet-4-5").monthly();
            BigDecimal after = calc.cost(s, "tiered").monthly();
            // about $18,400 on the flagship, about $6,440 tiered with a response cache
            assertThat(before).isBetween(new BigDecimal("17500"), new BigDecimal("19300"));
            assertThat(after).isBetween(new BigDecimal("5800"), new BigDecimal("7100"));
        }
    }
}
