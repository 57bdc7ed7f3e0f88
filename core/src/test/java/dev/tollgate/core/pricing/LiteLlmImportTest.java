package dev.tollgate.core.pricing;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reads a hand-written excerpt of LiteLLM's model_prices_and_context_window.json; expected rates are per million. */
class LiteLlmImportTest {

    private static final LocalDate DAY = LocalDate.of(2025, 11, 1);
    private static List<ModelPrice> prices;
    private static Map<String, ModelPrice> byModel;

    @BeforeAll
    static void read() throws Exception {
        try (InputStream in = LiteLlmImportTest.class.getResourceAsStream("litellm-sample.json")) {
            prices = LiteLlmImport.read(in, DAY, "litellm:sample");
        }
        byModel = prices.stream().collect(Collectors.toMap(ModelPrice::model, Function.identity()));
    }

    private static String plain(BigDecimal d) {
        return d.toPlainString();
    }

    @Test
    void keepsTokenPricedModelsOnly() {
        assertThat(byModel.keySet()).containsExactlyInAnyOrder("gpt-4o", "claude-sonnet-4-5-20250929",
                "gemini/gemini-2.5-pro", "text-embedding-3-small", "gpt-3.5-turbo-instruct");
        // skipped: sample_spec, dall-e-3 (image_generation), whisper-1 (audio_transcription), ollama/llama3 (no costs)
        assertThat(prices).allSatisfy(p -> {
            assertThat(p.effectiveFrom()).isEqualTo(DAY);
            assertThat(p.source()).isEqualTo("litellm:sample");
        });
    }

    @Test
    void scalesPerTokenCostsToPerMillionExactly() {
        ModelPrice gpt4o = byModel.get("gpt-4o");
        assertThat(gpt4o.provider()).isEqualTo("openai");
        assertThat(gpt4o.mode()).isEqualTo("chat");
        assertThat(plain(gpt4o.rates().input())).isEqualTo("2.5");          // 2.5e-06 per token
        assertThat(plain(gpt4o.rates().cachedInput())).isEqualTo("1.25");   // 1.25e-06
        assertThat(plain(gpt4o.rates().output())).isEqualTo("10");          // 1e-05
        assertThat(plain(gpt4o.batchDiscount())).isEqualTo("0.5");          // batches cost half of both
        assertThat(gpt4o.tiers()).isEmpty();
    }

    @Test
    void readsAnthropicCacheRatesAndTheLongContextTier() {
        ModelPrice sonnet = byModel.get("claude-sonnet-4-5-20250929");
        assertThat(sonnet.provider()).isEqualTo("anthropic");
        Rates r = sonnet.rates();
        assertThat(plain(r.input())).isEqualTo("3");
        assertThat(plain(r.output())).isEqualTo("15");
        assertThat(plain(r.cachedInput())).isEqualTo("0.3");
        assertThat(plain(r.cacheWrite5m())).isEqualTo("3.75");
        assertThat(plain(r.cacheWrite1h())).isEqualTo("6");
        assertThat(sonnet.batchDiscount()).isEqualByComparingTo("0");
        assertThat(sonnet.tiers()).hasSize(1);
        PriceTier tier = sonnet.tiers().get(0);
        assertThat(tier.aboveInputTokens()).isEqualTo(200_000);
        assertThat(plain(tier.rates().input())).isEqualTo("6");
        assertThat(plain(tier.rates().output())).isEqualTo("22.5");
        assertThat(plain(tier.rates().cachedInput())).isEqualTo("0.6");
        assertThat(plain(tier.rates().cacheWrite5m())).isEqualTo("7.5");
    }

    @Test
    void readsGeminiTier() {
        ModelPrice gemini = byModel.get("gemini/gemini-2.5-pro");
        assertThat(gemini.provider()).isEqualTo("gemini");
        assertThat(plain(gemini.rates().input())).isEqualTo("1.25");
        assertThat(plain(gemini.rates().cachedInput())).isEqualTo("0.125");
        assertThat(plain(gemini.rates().output())).isEqualTo("10");
        PriceTier tier = gemini.tiers().get(0);
        assertThat(tier.aboveInputTokens()).isEqualTo(200_000);
        assertThat(plain(tier.rates().input())).isEqualTo("2.5");
        assertThat(plain(tier.rates().cachedInput())).isEqualTo("0.25");
        assertThat(plain(tier.rates().output())).isEqualTo("15");
    }

    @Test
    void embeddingsWithoutAnOutputCostGetZero() {
        ModelPrice e = byModel.get("text-embedding-3-small");
        assertThat(e.mode()).isEqualTo("embedding");
        assertThat(plain(e.rates().input())).isEqualTo("0.02");
        assertThat(plain(e.rates().output())).isEqualTo("0");
        ModelPrice instruct = byModel.get("gpt-3.5-turbo-instruct");
        assertThat(instruct.mode()).isEqualTo("completion");
        assertThat(plain(instruct.rates().input())).isEqualTo("1.5");
        assertThat(plain(instruct.rates().output())).isEqualTo("2");
    }

    @Test
    void tinyCostsSurviveWithoutDoubleArtifacts() throws Exception {
        String json = """
                {"m": {"input_cost_per_token": 7.5e-08, "output_cost_per_token": 0.0000003, "litellm_provider": "x", "mode": "chat"},
                 "n": {"input_cost_per_token": 1.1e-07, "output_cost_per_token": 4.4e-07}}
                """;
        List<ModelPrice> read = LiteLlmImport.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), DAY, "t");
        assertThat(plain(read.get(0).rates().input())).isEqualTo("0.075");
        assertThat(plain(read.get(0).rates().output())).isEqualTo("0.3");
        assertThat(plain(read.get(1).rates().input())).isEqualTo("0.11");   // 1.1e-07 × 1e6 as a double is 0.10999999999999999
        assertThat(plain(read.get(1).rates().output())).isEqualTo("0.44");
        assertThat(read.get(1).mode()).isEqualTo("chat");
    }

    @Test
    void rejectsAFileThatIsNotAnObject() {
        assertThatThrownBy(() -> LiteLlmImport.read(new ByteArrayInputStream("[]".getBytes(StandardCharsets.UTF_8)), DAY, "t"))
                .isInstanceOf(java.io.IOException.class);
    }

    @Test
    void writtenYamlReadsBackAsTheSamePrices() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LiteLlmImport.writeYaml(prices, out);
        String yaml = out.toString(StandardCharsets.UTF_8);
        assertThat(yaml).contains("input: \"2.5\"").doesNotContain("E-").doesNotContain("E+");

        PriceCatalog catalog = PriceCatalog.fromYaml(new ByteArrayInputStream(out.toByteArray()));
        assertThat(catalog.size()).isEqualTo(prices.size());
        for (ModelPrice p : prices) {
            ModelPrice back = catalog.history(p.model()).get(0);
            assertThat(back.model()).isEqualTo(p.model());
            assertThat(back.provider()).isEqualTo(p.provider());
            assertThat(back.mode()).isEqualTo(p.mode());
            assertThat(back.effectiveFrom()).isEqualTo(p.effectiveFrom());
            assertThat(back.source()).isEqualTo(p.source());
            assertThat(back.rates()).isEqualTo(p.rates());
            assertThat(back.tiers()).isEqualTo(p.tiers());
            assertThat(back.batchDiscount()).isEqualByComparingTo(p.batchDiscount());
        }
    }
}
