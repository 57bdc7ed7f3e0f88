package dev.tollgate.core.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tollgate.core.usage.Usage;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The 2026 models in the bundled catalog, priced end to end. Every expected amount is worked out here from the
 * rates the providers publish (USD per million tokens, quoted in the comments), never read back from the catalog.
 */
class BundledPrices2026Test {

    private static final PriceCatalog BUNDLED = PriceCatalog.bundled();

    /** tokens × published rate / 1,000,000, exactly. */
    private static BigDecimal perMillion(long tokens, String publishedRate) {
        return new BigDecimal(publishedRate).multiply(BigDecimal.valueOf(tokens)).movePointLeft(6);
    }

    private static BigDecimal sum(BigDecimal... parts) {
        BigDecimal total = BigDecimal.ZERO;
        for (BigDecimal p : parts) total = total.add(p);
        return total;
    }

    private static BigDecimal cost(String model, String day, Usage usage) {
        return cost(model, day, usage, false);
    }

    private static BigDecimal cost(String model, String day, Usage usage, boolean batch) {
        Instant at = Instant.parse(day + "T12:00:00Z");
        return BUNDLED.priceAt(model, at).orElseThrow(() -> new AssertionError(model + " has no price on " + day))
                .cost(usage, batch).total();
    }

    @Test
    void haiku55BelowItsPromptThresholdWithCacheReadsAndWrites() {
        // input after the breakpoint 2,000, cache read 50,000, 5-minute write 10,000, output 1,000: prompt 62,000
        // ≤ 100k, so the lower band: $0.10 input, $0.01 cache read, $0.125 5m write, $0.50 output
        Usage usage = Usage.anthropic(2_000, 50_000, 10_000, 0, 1_000);
        BigDecimal expected = sum(perMillion(2_000, "0.10"), perMillion(50_000, "0.01"),
                perMillion(10_000, "0.125"), perMillion(1_000, "0.50"));
        assertThat(cost("claude-haiku-5-5", "2026-11-26", usage)).isEqualByComparingTo(expected)
                .isEqualByComparingTo("0.00245");
    }

    @Test
    void haiku55AboveItsPromptThresholdBillsTheWholeRequestHigher() {
        // prompt = 20,000 + 80,000 read + 1,000 5m write + 500 1h write = 101,500 > 100k: every token at the upper
        // band, output included: $0.50 input, $0.05 read, $0.625 5m write, $1 1h write, $2.50 output
        Usage usage = Usage.anthropic(20_000, 80_000, 1_000, 500, 2_000);
        BigDecimal expected = sum(perMillion(20_000, "0.50"), perMillion(80_000, "0.05"), perMillion(1_000, "0.625"),
                perMillion(500, "1.00"), perMillion(2_000, "2.50"));
        assertThat(cost("claude-haiku-5-5", "2026-11-26", usage)).isEqualByComparingTo(expected)
                .isEqualByComparingTo("0.020125");
    }

    @Test
    void haiku55ThresholdIsUpToAndIncluding100kPromptTokens() {
        assertThat(cost("claude-haiku-5-5", "2026-11-26", Usage.anthropic(100_000, 0, 0, 0, 0)))
                .isEqualByComparingTo(perMillion(100_000, "0.10"));
        assertThat(cost("claude-haiku-5-5", "2026-11-26", Usage.anthropic(100_001, 0, 0, 0, 0)))
                .isEqualByComparingTo(perMillion(100_001, "0.50"));
    }

    @Test
    void sonnet55CacheReadsHalvedOn7October2026() {
        // input 1,000, cache read 100,000, output 500 at $2 / $10; cache read $0.20 until 2026-10-06, $0.10 from 2026-10-07
        Usage usage = Usage.anthropic(1_000, 100_000, 0, 0, 500);
        assertThat(cost("claude-sonnet-5-5", "2026-10-06", usage))
                .isEqualByComparingTo(sum(perMillion(1_000, "2"), perMillion(100_000, "0.20"), perMillion(500, "10")));
        assertThat(cost("claude-sonnet-5-5", "2026-10-07", usage))
                .isEqualByComparingTo(sum(perMillion(1_000, "2"), perMillion(100_000, "0.10"), perMillion(500, "10")));
        assertThat(BUNDLED.priceAt("claude-sonnet-5-5", Instant.parse("2026-09-27T23:59:59Z"))).isEmpty();
    }

    @Test
    void fable51ReadsTheCacheAtAQuarterOfFable5() {
        // a million cache-read tokens: Fable 5 $1 (0.1x of $10), Fable 5.1 and Mythos 5.1 $0.25 (0.025x)
        Usage reads = Usage.anthropic(0, 1_000_000, 0, 0, 0);
        assertThat(cost("claude-fable-5", "2026-11-26", reads)).isEqualByComparingTo("1");
        assertThat(cost("claude-fable-5-1", "2026-11-26", reads)).isEqualByComparingTo("0.25");
        assertThat(cost("claude-mythos-5-1", "2026-11-26", reads)).isEqualByComparingTo("0.25");
        // writes are unchanged: 1,000 tokens to the 1-hour cache at $20
        assertThat(cost("claude-fable-5-1", "2026-11-26", Usage.anthropic(0, 0, 0, 1_000, 0)))
                .isEqualByComparingTo(perMillion(1_000, "20"));
    }

    @Test
    void opus55BatchIsHalfPrice() {
        // a million input and a million output at $4 / $20, halved by the batch API
        Usage usage = Usage.anthropic(1_000_000, 0, 0, 0, 1_000_000);
        assertThat(cost("claude-opus-5-5", "2026-11-26", usage)).isEqualByComparingTo("24");
        assertThat(cost("claude-opus-5-5", "2026-11-26", usage, true)).isEqualByComparingTo("12");
    }

    @Test
    void opus46LongContextPremiumEndedWhenTheMillionTokenWindowWentGenerallyAvailable() {
        // 250,000 prompt tokens (> 200k) and 1,000 output: during the beta $10 / $37.50, from 2026-03-13 $5 / $25
        Usage usage = Usage.anthropic(250_000, 0, 0, 0, 1_000);
        assertThat(cost("claude-opus-4-6", "2026-03-12", usage))
                .isEqualByComparingTo(sum(perMillion(250_000, "10"), perMillion(1_000, "37.50")));
        assertThat(cost("claude-opus-4-6", "2026-03-13", usage))
                .isEqualByComparingTo(sum(perMillion(250_000, "5"), perMillion(1_000, "25")));
    }

    @Test
    void gpt55LongContextAbove272kTokensWithCachedInput() {
        // 300,000 prompt tokens of which 100,000 cached, 10,000 output (4,000 of it reasoning, not added again):
        // > 272k, so 2x input and cached input, 1.5x output: $10 / $1 / $45
        Usage usage = Usage.openAi(300_000, 100_000, 10_000, 4_000);
        BigDecimal expected = sum(perMillion(200_000, "10"), perMillion(100_000, "1"), perMillion(10_000, "45"));
        assertThat(cost("gpt-5.5", "2026-11-26", usage)).isEqualByComparingTo(expected).isEqualByComparingTo("2.55");
    }

    @Test
    void gpt55AtExactly272kTokensStaysOnTheStandardRates() {
        // 272,000 prompt tokens of which 72,000 cached, 1,000 output: $5 / $0.50 / $30
        Usage usage = Usage.openAi(272_000, 72_000, 1_000, 0);
        BigDecimal expected = sum(perMillion(200_000, "5"), perMillion(72_000, "0.50"), perMillion(1_000, "30"));
        assertThat(cost("gpt-5.5", "2026-11-26", usage)).isEqualByComparingTo(expected).isEqualByComparingTo("1.066");
    }

    @Test
    void gpt56LunaAndTerraPriceCutsOf30July2026() {
        // 100,000 input (under 272k) and 1,000,000 output: Luna $1 / $6 until 2026-07-29, then $0.20 / $1.20;
        // Terra $2.50 / $15, then $2 / $12
        Usage usage = Usage.openAi(100_000, 0, 1_000_000, 0);
        assertThat(cost("gpt-5.6-luna", "2026-07-29", usage))
                .isEqualByComparingTo(sum(perMillion(100_000, "1"), perMillion(1_000_000, "6")));
        assertThat(cost("gpt-5.6-luna", "2026-07-30", usage))
                .isEqualByComparingTo(sum(perMillion(100_000, "0.20"), perMillion(1_000_000, "1.20")));
        assertThat(cost("gpt-5.6-terra", "2026-07-29", usage))
                .isEqualByComparingTo(sum(perMillion(100_000, "2.50"), perMillion(1_000_000, "15")));
        assertThat(cost("gpt-5.6-terra", "2026-07-30", usage))
                .isEqualByComparingTo(sum(perMillion(100_000, "2"), perMillion(1_000_000, "12")));
        // a million prompt tokens is past 272k: the whole request at the long-context rates, $0.40 / $1.80 after the cut
        assertThat(cost("gpt-5.6-luna", "2026-07-30", Usage.openAi(1_000_000, 0, 1_000_000, 0)))
                .isEqualByComparingTo(sum(perMillion(1_000_000, "0.40"), perMillion(1_000_000, "1.80")));
    }

    @Test
    void gpt56AndLaterBillCacheWritesAtAQuarterAboveInput() {
        // GPT-6.2 Astra: $8 input, $0.40 cache reads, writes 1.25 x $8 = $10, $40 output.
        // 50,000 prompt tokens: 20,000 read from the cache, 25,000 written to it, 5,000 neither; 2,000 output
        Usage usage = Usage.openAi(50_000, 20_000, 25_000, 2_000, 0);
        assertThat(cost("gpt-6.2-astra", "2026-11-26", usage)).isEqualByComparingTo(sum(perMillion(5_000, "8"),
                perMillion(20_000, "0.40"), perMillion(25_000, "10"), perMillion(2_000, "40")));
        // before GPT-5.6 writes were free: gpt-5.5 bills a reported write at its input rate, $5
        assertThat(cost("gpt-5.5", "2026-11-26", Usage.openAi(10_000, 0, 10_000, 0, 0)))
                .isEqualByComparingTo(perMillion(10_000, "5"));
    }

    @Test
    void gpt62AstraCachedInput() {
        // 50,000 prompt tokens of which 40,000 cached, 2,000 output at $8 / $0.40 / $40
        Usage usage = Usage.openAi(50_000, 40_000, 2_000, 0);
        assertThat(cost("gpt-6.2-astra", "2026-11-26", usage))
                .isEqualByComparingTo(sum(perMillion(10_000, "8"), perMillion(40_000, "0.40"), perMillion(2_000, "40")));
    }

    @Test
    void geminiScheduledPriceChangesAreDatedEntries() {
        Usage usage = Usage.openAi(1_000_000, 0, 1_000_000, 0);
        // Gemini 4 Argon: $2 / $10 through 2026-11-30, $4 / $20 from 2026-12-01
        assertThat(cost("gemini-4-argon", "2026-11-30", usage)).isEqualByComparingTo("12");
        assertThat(cost("gemini-4-argon", "2026-12-01", usage)).isEqualByComparingTo("24");
        // Gemini 3.8 Flash: $0.75 / $3.75 through 2026-12-31, $1.50 / $7.50 from 2027-01-01
        assertThat(cost("gemini-3.8-flash", "2026-12-31", usage)).isEqualByComparingTo("4.5");
        assertThat(cost("gemini-3.8-flash", "2027-01-01", usage)).isEqualByComparingTo("9");
    }

    @Test
    void geminiProLongContextTier() {
        // Gemini 3.1 Pro Preview, 250,000 prompt tokens and 1,000 output: above 200k, $4 / $18
        Usage usage = Usage.openAi(250_000, 0, 1_000, 0);
        assertThat(cost("gemini-3.1-pro-preview", "2026-11-26", usage))
                .isEqualByComparingTo(sum(perMillion(250_000, "4"), perMillion(1_000, "18")));
    }

    @Test
    void mistralMediumLatestFollowsThePointerWhileSnapshotsKeepTheirPrice() {
        Usage usage = Usage.openAi(1_000_000, 0, 1_000_000, 0);
        // the -latest pointer: Medium 3 at $0.40 / $2, then Medium 3.5 at $1.50 / $7.50 from 2026-05-22
        assertThat(cost("mistral-medium-latest", "2026-05-21", usage)).isEqualByComparingTo("2.4");
        assertThat(cost("mistral-medium-latest", "2026-05-22", usage)).isEqualByComparingTo("9");
        // an explicit Medium 3.1 snapshot is still Medium 3.1
        assertThat(BUNDLED.resolve("mistral-medium-2508")).contains("mistral-medium");
        assertThat(cost("mistral-medium-2508", "2026-11-26", usage)).isEqualByComparingTo("2.4");
        assertThat(BUNDLED.resolve("mistral-medium-3-5-26-04")).contains("mistral-medium-3-5");
    }

    @Test
    void grok47DoublesEveryRateFrom200kPromptTokens() {
        // xAI: 200k prompt tokens and above bill at the doubled rates, so exactly 200,000 is already long
        assertThat(cost("grok-4.7", "2026-11-26", Usage.openAi(200_000, 0, 0, 0)))
                .isEqualByComparingTo(perMillion(200_000, "4"));
        assertThat(cost("grok-4.7", "2026-11-26", Usage.openAi(199_999, 0, 0, 0)))
                .isEqualByComparingTo(perMillion(199_999, "2"));
        // 250,000 prompt tokens of which 50,000 cached, 2,000 output: $4 / $1 cached / $12
        Usage usage = Usage.openAi(250_000, 50_000, 2_000, 0);
        assertThat(cost("grok-4.7", "2026-11-26", usage))
                .isEqualByComparingTo(sum(perMillion(200_000, "4"), perMillion(50_000, "1"), perMillion(2_000, "12")));
        // 150,000 prompt tokens stay at $2 / $0.50 / $6
        Usage shorter = Usage.openAi(150_000, 50_000, 2_000, 0);
        assertThat(cost("grok-4.7", "2026-11-26", shorter))
                .isEqualByComparingTo(sum(perMillion(100_000, "2"), perMillion(50_000, "0.50"), perMillion(2_000, "6")));
    }

    @Test
    void newModelIdsResolveAsProvidersSpellThem() {
        assertThat(BUNDLED.resolve("claude-sonnet-5-20260630")).contains("claude-sonnet-5");
        assertThat(BUNDLED.resolve("anthropic/claude-haiku-5-5")).contains("claude-haiku-5-5");
        assertThat(BUNDLED.resolve("claude-opus-4-7@20260416")).contains("claude-opus-4-7");
        assertThat(BUNDLED.resolve("claude-fable-5-1")).contains("claude-fable-5-1");
        assertThat(BUNDLED.resolve("claude-mythos-5")).contains("claude-mythos-5");
        assertThat(BUNDLED.resolve("gpt-5.5-2026-04-23")).contains("gpt-5.5");
        assertThat(BUNDLED.resolve("gpt-5.4-mini-2026-03-17")).contains("gpt-5.4-mini");
        assertThat(BUNDLED.resolve("gpt-5.4-2026-03-05")).contains("gpt-5.4");
        assertThat(BUNDLED.resolve("openai/gpt-6.2-sol")).contains("gpt-6.2-sol");
        assertThat(BUNDLED.resolve("gpt-6.1-terra")).contains("gpt-6.1-terra");
        assertThat(BUNDLED.resolve("gpt-5.6")).contains("gpt-5.6-sol");
        assertThat(BUNDLED.resolve("gpt-5.6-sol-2026-07-09")).contains("gpt-5.6-sol");
        assertThat(BUNDLED.resolve("models/gemini-3.5-flash")).contains("gemini-3.5-flash");
        assertThat(BUNDLED.resolve("google/gemini-4-argon")).contains("gemini-4-argon");
        // a longer name is its own model, never a shorter one's snapshot
        assertThat(BUNDLED.resolve("gpt-5.4-pro")).contains("gpt-5.4-pro");
        assertThat(BUNDLED.resolve("gemini-3.5-flash-lite")).contains("gemini-3.5-flash-lite");
    }

    /**
     * The catalog merges entries by model and day, so a duplicated model or day in the file would silently replace
     * an earlier price. Read the file as written and check that each model appears once, and that every price entry
     * names its day and its source explicitly, in order.
     */
    @Test
    void everyEntryInTheFileHasASourceAndAnEffectiveDateInOrder() throws Exception {
        JsonNode root;
        try (InputStream in = PriceCatalog.class.getResourceAsStream("/dev/tollgate/core/pricing/prices.yaml")) {
            root = new ObjectMapper(new YAMLFactory()).readTree(in);
        }
        Set<String> models = new HashSet<>();
        int entries = 0;
        for (JsonNode m : root.path("models")) {
            String model = m.path("model").asText();
            assertThat(models.add(model)).as("model listed twice: " + model).isTrue();
            assertThat(m.path("prices").size()).as(model).isPositive();
            LocalDate previous = null;
            for (JsonNode p : m.path("prices")) {
                assertThat(p.hasNonNull("effective")).as(model + " entry without effective").isTrue();
                assertThat(p.path("source").asText()).as(model + " source").startsWith("https://");
                LocalDate day = LocalDate.parse(p.get("effective").asText());
                if (previous != null) assertThat(day).as(model + " entries in date order").isAfter(previous);
                previous = day;
                entries++;
            }
        }
        assertThat(models).hasSize(BUNDLED.size());
        assertThat(entries).isEqualTo(BUNDLED.models().stream().mapToInt(m -> BUNDLED.history(m).size()).sum());
    }
}
