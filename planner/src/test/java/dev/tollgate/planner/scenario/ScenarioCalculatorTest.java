package dev.tollgate.planner.scenario;

import dev.tollgate.core.pricing.PriceCatalog;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScenarioCalculatorTest {

    static final Instant NOW = Instant.parse("2026-11-01T00:00:00Z");
    static final String YAML = """
            name: small
            days_per_month: 30
            models: [gpt-4o-mini, claude-haiku-4-5]
            workloads:
              - name: chat
                conversations_per_day: 1000
                turns: 2
                input_tokens: 100
                output_tokens: 50
                system_prompt_tokens: 200
                history_per_turn: 150
                cache_hit_rate: 0.5
                growth_per_month: 0.1
            tco:
              compute: 100
              infrastructure: {storage: 10, vector_database: 20, network_egress: 5}
              people: {engineering_fte: 0.5, operations_fte: 0.25, monthly_cost_per_fte: 10000}
              security_compliance_monitoring: 50
            outcome: {name: resolved, per_conversation: 0.5, human_cost: 4}
            """;

    final ScenarioCalculator calc = new ScenarioCalculator(PriceCatalog.bundled(), NOW);

    static Scenario small() throws Exception {
        return ScenarioReader.read(new ByteArrayInputStream(YAML.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aTwoTurnConversationIsPricedTurnByTurn() throws Exception {
        // turn 1: prefix 200 (100 cached, 100 written), +100 message = 300 in, 50 out
        //   gpt-4o-mini ($0.15 in and cache writes, $0.075 cached, $0.60 out per million):
        //   100*0.15 + 100*0.075 + 100*0.15 + 50*0.6 = 67.5 per million
        // turn 2: prefix 350 (175 cached, 175 written), +100 = 450 in
        //   100*0.15 + 175*0.075 + 175*0.15 + 50*0.6 = 84.375 per million
        ModelCost mini = calc.cost(small(), "gpt-4o-mini");
        WorkloadCost w = mini.workloads().getFirst();
        assertThat(w.inputTokensPerConversation()).isEqualTo(750);
        assertThat(w.cachedTokensPerConversation()).isEqualTo(275);
        assertThat(w.perConversation()).isEqualByComparingTo("0.000151875");
        assertThat(w.perCall()).isEqualByComparingTo("0.0000759375");
        // 1000 a day for 30 days
        assertThat(mini.monthly()).isEqualByComparingTo("4.55625");
        assertThat(w.inputMonthly()).isEqualByComparingTo("2.75625");   // (37.5 + 54.375) per million * 30000
        assertThat(w.outputMonthly()).isEqualByComparingTo("1.8");      // 2 * 30 per million * 30000
        assertThat(mini.inputShare()).isEqualByComparingTo(new BigDecimal("2.75625").divide(new BigDecimal("4.55625"), 12, java.math.RoundingMode.HALF_EVEN));
        // 12 months growing 10% a month: m * (1.1^12 - 1) / 0.1
        BigDecimal year = new BigDecimal("4.55625").multiply(new BigDecimal("1.1").pow(12).subtract(BigDecimal.ONE)).divide(new BigDecimal("0.1"));
        assertThat(mini.yearly()).isEqualByComparingTo(year);
    }

    @Test
    void anthropicCacheWritesCarryTheirPremium() throws Exception {
        // claude-haiku-4-5: $1 in, $0.10 cached, $1.25 5-minute writes, $5 out per million
        // turn 1: 100*1 + 100*0.1 + 100*1.25 + 50*5 = 485; turn 2: 100 + 17.5 + 218.75 + 250 = 586.25
        ModelCost haiku = calc.cost(small(), "claude-haiku-4-5");
        assertThat(haiku.workloads().getFirst().perConversation()).isEqualByComparingTo("0.00107125");
        assertThat(haiku.monthly()).isEqualByComparingTo("32.1375");
    }

    @Test
    void totalCostOfOwnershipAndCostPerOutcome() throws Exception {
        Scenario s = small();
        TcoCost t = calc.tco(s, calc.cost(s, "gpt-4o-mini"));
        assertThat(t.infrastructure()).isEqualByComparingTo("35");
        assertThat(t.people()).isEqualByComparingTo("7500");            // 0.75 FTE * 10,000
        assertThat(t.monthly()).isEqualByComparingTo("7689.55625");     // 4.55625 + 100 + 35 + 7500 + 50
        assertThat(t.outcomesPerMonth()).isEqualByComparingTo("15000"); // 30,000 conversations * 0.5
        assertThat(t.perOutcome()).isEqualByComparingTo(new BigDecimal("7689.55625").divide(new BigDecimal("15000"), 12, java.math.RoundingMode.HALF_EVEN));
        assertThat(t.yearly()).isEqualByComparingTo(t.modelUsageYearly().add(new BigDecimal("7685").multiply(BigDecimal.valueOf(12))));
    }

    @Test
    void sensitivityShowsWhichDialMovesTheBill() throws Exception {
        List<Sensitivity> rows = calc.sensitivity(small());
        Sensitivity volume = rows.stream().filter(r -> r.driver().equals("volume")).findFirst().orElseThrow();
        assertThat(volume.monthlyChange().get("gpt-4o-mini")).isEqualByComparingTo("0.455625"); // 10% of 4.55625
        Sensitivity output = rows.stream().filter(r -> r.driver().equals("output tokens")).findFirst().orElseThrow();
        // 50 → 55 tokens, 2 turns, $0.60 per million, 30,000 conversations
        assertThat(output.monthlyChange().get("gpt-4o-mini")).isEqualByComparingTo("0.18");
        Sensitivity cache = rows.stream().filter(r -> r.driver().equals("cache hit rate")).findFirst().orElseThrow();
        assertThat(cache.monthlyChange().get("gpt-4o-mini")).isNegative();
        // sorted by the size of the change on the first model
        for (int i = 1; i < rows.size(); i++) {
            assertThat(rows.get(i - 1).monthlyChange().get("gpt-4o-mini").abs())
                    .isGreaterThanOrEqualTo(rows.get(i).monthlyChange().get("gpt-4o-mini").abs());
        }
    }

    @Test
    void unknownModelsAndFieldsAreNamed() throws Exception {
        assertThatThrownBy(() -> calc.cost(small(), "gpt-9")).hasMessageContaining("'gpt-9'");
        assertThatThrownBy(() -> ScenarioReader.read(new ByteArrayInputStream(
                "models: [gpt-4o]\nworkloads: [{name: a, requests_per_day: 1, output_tokns: 3}]".getBytes(StandardCharsets.UTF_8))))
                .hasMessageContaining("output_tokns");
    }

    @Test
    void theExampleScenariosRead() throws Exception {
        for (String name : List.of("support-chatbot.yaml", "rag-search.yaml")) {
            try (InputStream in = Files.newInputStream(Path.of("../examples", name))) {
                Scenario s = ScenarioReader.read(in);
                assertThat(calc.costs(s)).allSatisfy(c -> assertThat(c.monthly()).isPositive());
            }
        }
    }
}
