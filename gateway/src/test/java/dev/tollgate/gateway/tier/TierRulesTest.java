package dev.tollgate.gateway.tier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tollgate.gateway.config.ConfigLoader.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pure tier decision: each condition, first match wins, the default; and the config's mistakes. */
class TierRulesTest {

    private static final String SUPPORT = """
            - name: support-assistant
              ladder:
                - {name: small, model: gpt-4.1-nano}
                - {name: mid, model: gpt-4o-mini}
                - {name: flagship, model: gpt-4o}
              rules:
                - {tier: flagship, tools: true}
                - {tier: flagship, min_prompt_tokens: 2000}
                - {tier: flagship, min_messages: 12}
                - {tier: flagship, key: vip}
                - {tier: small, tags: {feature: faq}}
                - {tier: small, response_format: true, max_prompt_tokens: 300}
                - {tier: small, max_prompt_tokens: 50, max_messages: 2}
              default: mid
            """;

    static List<TierConfig> parse(String yaml) throws Exception {
        JsonNode node = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        return TierConfig.parse(node);
    }

    private static TierRules support() throws Exception {
        return new TierRules(parse(SUPPORT).getFirst());
    }

    private static TierRules.Facts facts(Map<String, String> tags, String key, long prompt, boolean tools, boolean json, int messages) {
        return new TierRules.Facts(tags, key, prompt, tools, json, messages);
    }

    @Test
    void eachConditionPicksItsTier() throws Exception {
        TierRules rules = support();
        int small = 0, mid = 1, flagship = 2;
        assertThat(rules.decide(facts(Map.of(), "k", 500, true, false, 1))).isEqualTo(flagship);        // tools
        assertThat(rules.decide(facts(Map.of(), "k", 2000, false, false, 1))).isEqualTo(flagship);      // long prompt (bound inclusive)
        assertThat(rules.decide(facts(Map.of(), "k", 1999, false, false, 1))).isEqualTo(mid);
        assertThat(rules.decide(facts(Map.of(), "k", 500, false, false, 12))).isEqualTo(flagship);      // long conversation
        assertThat(rules.decide(facts(Map.of(), "k", 500, false, false, 11))).isEqualTo(mid);
        assertThat(rules.decide(facts(Map.of(), "vip", 500, false, false, 1))).isEqualTo(flagship);     // the key
        assertThat(rules.decide(facts(Map.of("feature", "faq"), "k", 500, false, false, 1))).isEqualTo(small);
        assertThat(rules.decide(facts(Map.of("feature", "billing"), "k", 500, false, false, 1))).isEqualTo(mid);
        assertThat(rules.decide(facts(Map.of(), "k", 300, false, true, 1))).isEqualTo(small);          // JSON, short enough
        assertThat(rules.decide(facts(Map.of(), "k", 301, false, true, 1))).isEqualTo(mid);
        assertThat(rules.decide(facts(Map.of(), "k", 50, false, false, 2))).isEqualTo(small);          // both bounds of one rule
        assertThat(rules.decide(facts(Map.of(), "k", 50, false, false, 3))).isEqualTo(mid);
    }

    @Test
    void theFirstMatchingRuleWins() throws Exception {
        TierRules rules = support();
        // an FAQ with tools: the tools rule comes first
        assertThat(rules.decide(facts(Map.of("feature", "faq"), "k", 10, true, false, 1))).isEqualTo(2);
        // a vip's FAQ: the key rule comes first
        assertThat(rules.decide(facts(Map.of("feature", "faq"), "vip", 10, false, false, 1))).isEqualTo(2);
    }

    @Test
    void withoutRulesOrDefaultTheTopTierAnswers() throws Exception {
        TierConfig config = parse("[{name: t, ladder: [{name: a, model: x}, {name: b, model: y}]}]").getFirst();
        assertThat(config.fallback()).isEqualTo("b");
        assertThat(config.cascade().enabled()).isFalse();
        TierRules rules = new TierRules(config);
        assertThat(rules.needsPromptTokens()).isFalse();
        assertThat(rules.decide(facts(Map.of(), null, -1, false, false, 0))).isEqualTo(1);
    }

    @Test
    void promptTokensAreCountedOnlyWhenARuleNeedsThem() throws Exception {
        assertThat(support().needsPromptTokens()).isTrue();
        assertThat(support().firstThreshold()).isEqualTo(51); // max_prompt_tokens: 50 changes its verdict at 51
        TierConfig tagsOnly = parse("[{name: t, ladder: [{name: a, model: x}], rules: [{tier: a, tags: {feature: faq}}]}]").getFirst();
        assertThat(new TierRules(tagsOnly).needsPromptTokens()).isFalse();
    }

    @Test
    void cascadeSettings() throws Exception {
        TierConfig c = parse("""
                [{name: t, ladder: [{name: a, model: x}], cascade: {regex: "^\\\\{", min_length: 5, refusal: false, json_schema: false}}]
                """).getFirst();
        assertThat(c.cascade().enabled()).isTrue();
        assertThat(c.cascade().pattern().pattern()).isEqualTo("^\\{");
        assertThat(c.cascade().minLength()).isEqualTo(5);
        assertThat(c.cascade().refusal()).isFalse();
        assertThat(c.cascade().jsonSchema()).isFalse();
        TierConfig on = parse("[{name: t, ladder: [{name: a, model: x}], cascade: true}]").getFirst();
        assertThat(on.cascade()).isEqualTo(new TierConfig.Cascade(true, true, null, 0, true));
    }

    private static dev.tollgate.gateway.route.Router router(String tiers) throws Exception {
        return new dev.tollgate.gateway.route.Router(new dev.tollgate.gateway.config.ConfigLoader(Map.<String, String>of()::get).parse("""
                providers: {openai: {type: openai}}
                models:
                  - {name: gpt-4.1-nano, provider: openai}
                  - {name: gpt-4o, provider: openai}
                routes:
                  - {name: mini, deployments: [{provider: openai, model: gpt-4o-mini}]}
                tiers:
                """ + tiers));
    }

    @Test
    void tiersNameModelsOrRoutesAndTheBaselineDefaultsSensibly() throws Exception {
        var tiers = router("""
                  - {name: helper, ladder: [{name: a, model: gpt-4.1-nano}, {name: b, model: mini}]}
                  - {name: gpt-4o, ladder: [{name: a, model: gpt-4.1-nano}, {name: b, model: gpt-4o}]}
                """).tiers();
        // a new name compares against its top tier; an existing model against itself
        assertThat(tiers.get("helper").baseline().model()).isEqualTo("gpt-4o-mini");
        assertThat(tiers.get("helper").choice(1).group()).isNotNull(); // a route keeps its deployments
        assertThat(tiers.get("gpt-4o").baseline().name()).isEqualTo("gpt-4o");
        assertThat(tiers.get("gpt-4.1-nano")).isNull();
        assertThatThrownBy(() -> router("  - {name: t, ladder: [{name: a, model: nowhere}]}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tier 'a' names 'nowhere', which is neither a model nor a route");
        assertThatThrownBy(() -> router("  - {name: t, baseline: gone, ladder: [{name: a, model: gpt-4o}]}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tiers.t.baseline");
    }

    @Test
    void mistakesNameTheirKey() {
        assertThatThrownBy(() -> parse("[{name: t, ladder: []}]")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("tiers.t.ladder");
        assertThatThrownBy(() -> parse("[{name: t, ladder: [{name: a, model: x}], rules: [{tier: b}]}]"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tier 'b' is not in the ladder");
        assertThatThrownBy(() -> parse("[{name: t, ladder: [{name: a, model: x}], rules: [{tier: a, tokens: 3}]}]"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown condition 'tokens'");
        assertThatThrownBy(() -> parse("[{name: t, ladder: [{name: a, model: x}], rules: [{tier: a, tools: yes-please}]}]"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tiers.t.rules.tools must be true or false");
        assertThatThrownBy(() -> parse("[{name: t, ladder: [{name: a, model: x}], rules: [{tier: a, max_prompt_tokens: -1}]}]"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("whole number");
        assertThatThrownBy(() -> parse("[{name: t, ladder: [{name: a, model: x}], default: z}]"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tiers.t.default");
        assertThatThrownBy(() -> parse("[{name: t, ladder: [{name: a, model: x}], cascade: {regex: \"(\"}}]"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tiers.t.cascade.regex");
    }
}
