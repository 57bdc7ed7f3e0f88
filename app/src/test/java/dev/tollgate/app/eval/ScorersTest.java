package dev.tollgate.app.eval;

import dev.tollgate.gateway.Json;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The deterministic scorers, the judge's reply and family, and the statistics, on hand-checked values. */
class ScorersTest {

    static Scorer.Deterministic scorer(String spec, String reference) throws Exception {
        return (Scorer.Deterministic) Scorer.parse(Json.parse(spec), reference);
    }

    @Test
    void exactNormalizedRegexNumericAndJsonSchema() throws Exception {
        assertThat(scorer("\"exact\"", "Paris").score(" Paris\n").pass()).isTrue();
        assertThat(scorer("\"exact\"", "Paris").score("paris").pass()).isFalse();
        assertThat(scorer("\"normalized\"", "Paris").score("  \"PARIS.\" ").pass()).isTrue();
        assertThat(scorer("\"normalised\"", "New  York").score("new york!").pass()).isTrue();
        assertThat(scorer("\"normalized\"", "Paris").score("Paris, France").pass()).isFalse();
        assertThat(Scorer.parse(null, "x")).isInstanceOf(Scorer.Normalized.class);

        assertThat(scorer("{\"type\":\"regex\",\"pattern\":\"^order \\\\d{4}$\"}", null).score("order 1234").pass()).isTrue();
        assertThat(scorer("{\"type\":\"regex\",\"pattern\":\"^order \\\\d{4}$\"}", null).score("order 12345").pass()).isFalse();

        Scorer.Deterministic pi = scorer("{\"type\":\"numeric\",\"tolerance\":\"0.01\"}", "3.14159");
        assertThat(pi.score("It is about 3.14.").pass()).isTrue();
        assertThat(pi.score("3.13").pass()).isFalse();
        assertThat(pi.score("no idea").reason()).isEqualTo("no number in the answer");
        assertThat(scorer("\"numeric\"", "1234.5").score("$1,234.50").pass()).isTrue();

        Scorer.Deterministic schema = scorer("{\"type\":\"json_schema\",\"schema\":{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}},"
                + "\"required\":[\"n\"]}}", null);
        assertThat(schema.score("{\"n\": 3}").pass()).isTrue();
        assertThat(schema.score("```json\n{\"n\": 3}\n```").pass()).isTrue();
        assertThat(schema.score("{\"n\": \"3\"}").pass()).isFalse();
        assertThat(schema.score("{}").reason()).startsWith("invalid:").contains("n");
        assertThat(schema.score("sure, here it is").reason()).isEqualTo("not JSON");

        assertThatThrownBy(() -> scorer("\"exact\"", null)).hasMessageContaining("needs a \"reference\"");
        assertThatThrownBy(() -> scorer("{\"type\":\"regex\",\"pattern\":\"(\"}", null)).hasMessageContaining("bad regex");
        assertThatThrownBy(() -> scorer("{\"type\":\"json_schema\"}", null)).hasMessageContaining("needs a \"schema\"");
    }

    @Test
    void theJudgesReplyAndFamily() {
        assertThat(Judge.verdict("PASS: the answer matches.")).isEqualTo(new Verdict(true, "the answer matches."));
        assertThat(Judge.verdict("**FAIL**\nIt names the wrong city.")).isEqualTo(new Verdict(false, "It names the wrong city."));
        assertThat(Judge.verdict("Looks fine to me").pass()).isFalse();
        assertThat(Judge.family("gpt-4o-mini")).isEqualTo(Judge.family("o4-mini")).isEqualTo(Judge.family("openai/gpt-5")).isEqualTo("openai");
        assertThat(Judge.family("claude-haiku-4-5")).isEqualTo("anthropic");
        assertThat(Judge.family("gemini-2.5-flash")).isEqualTo("google");
        assertThat(Judge.family("qwen-2.5-72b")).isEqualTo("qwen");
    }

    @Test
    void wilsonIntervalPercentilesAndKappa() {
        // 8 of 10: 0.4902 to 0.9433 (Wilson 1927; the usual published table)
        double[] ci = Stats.wilson(8, 10);
        assertThat(ci[0]).isCloseTo(0.4902, within(1e-4));
        assertThat(ci[1]).isCloseTo(0.9433, within(1e-4));
        assertThat(Stats.wilson(0, 10)[0]).isZero();
        assertThat(Stats.wilson(10, 10)[1]).isCloseTo(1.0, within(1e-12));

        List<Double> latencies = List.of(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0);
        assertThat(Stats.percentile(latencies, 0.5)).isEqualTo(10.0);
        assertThat(Stats.percentile(latencies, 0.95)).isEqualTo(19.0);

        // 20 both yes, 5 judge yes/people no, 10 judge no/people yes, 15 both no: po 0.7, pe 0.5, kappa 0.4
        Agreement a = Agreement.of(20, 5, 10, 15);
        assertThat(a.rate()).isCloseTo(0.7, within(1e-12));
        assertThat(a.kappa()).isCloseTo(0.4, within(1e-12));
        assertThat(Agreement.of(10, 0, 0, 0).kappa()).isNaN();
    }
}
