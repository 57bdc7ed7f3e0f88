package dev.tollgate.core.pricing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imports LiteLLM's community-maintained {@code model_prices_and_context_window.json}, so operators can price models
 * the bundled catalog lacks without waiting for a Tollgate release.
 *
 * <p>LiteLLM gives costs per <em>token</em> as JSON numbers ({@code 2.5e-06}); the catalog keeps rates per
 * <em>million</em> tokens. The numbers are read as decimals from their text and scaled by moving the decimal point, so
 * no binary double ever touches a price. Only token-priced modes are kept (chat, completion, embedding, responses);
 * image, audio, moderation and rerank entries, and entries with neither an input nor an output cost, are skipped.
 */
public final class LiteLlmImport {

    /** Modes priced per token, which the catalog can express. */
    private static final Set<String> TOKEN_MODES = Set.of("chat", "completion", "embedding", "responses");
    /** LiteLLM's long-context fields: {@code input_cost_per_token_above_200k_tokens} and the like. */
    private static final Pattern TIER_FIELD = Pattern.compile(
            "^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost)_above_(\\d+)k_tokens$");
    private static final int PER_MILLION = 6;

    private LiteLlmImport() {
    }

    /**
     * The token-priced models of a LiteLLM price file, each as one price effective on {@code effective}.
     *
     * @param source recorded as every price's source ("litellm:model_prices_and_context_window.json")
     */
    public static List<ModelPrice> read(InputStream in, LocalDate effective, String source) throws IOException {
        JsonNode root = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).readTree(in);
        if (root == null || !root.isObject()) throw new IOException("a LiteLLM price file is a JSON object keyed by model name");
        List<ModelPrice> prices = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("sample_spec") || !e.getValue().isObject()) continue;
            ModelPrice price = toPrice(e.getKey(), e.getValue(), effective, source);
            if (price != null) prices.add(price);
        }
        return prices;
    }

    private static ModelPrice toPrice(String model, JsonNode n, LocalDate effective, String source) {
        String mode = n.hasNonNull("mode") ? n.get("mode").asText() : "chat";
        if (!TOKEN_MODES.contains(mode)) return null;
        BigDecimal input = perMillion(n, "input_cost_per_token");
        BigDecimal output = perMillion(n, "output_cost_per_token");
        if (input == null && output == null) return null;
        input = input == null ? BigDecimal.ZERO : input;
        output = output == null ? BigDecimal.ZERO : output;
        BigDecimal cached = perMillion(n, "cache_read_input_token_cost");
        BigDecimal write5m = perMillion(n, "cache_creation_input_token_cost");
        BigDecimal write1h = perMillion(n, "cache_creation_input_token_cost_above_1hr");
        Rates base = new Rates(input, output, cached, write5m, write1h);
        String provider = n.hasNonNull("litellm_provider") ? n.get("litellm_provider").asText() : null;
        return new ModelPrice(model, provider, mode, effective, source, base, tiers(n, base), batchDiscount(n, input, output));
    }

    /**
     * Long-context tiers from the {@code …_above_Nk_tokens} fields. A rate a tier does not name keeps the base rate,
     * which is what LiteLLM itself charges.
     */
    private static List<PriceTier> tiers(JsonNode n, Rates base) {
        Map<Long, Map<String, BigDecimal>> byThreshold = new TreeMap<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            Matcher m = TIER_FIELD.matcher(field);
            if (!m.matches()) continue;
            BigDecimal rate = perMillion(n, field);
            if (rate == null) continue;
            byThreshold.computeIfAbsent(Long.parseLong(m.group(2)) * 1000, k -> new LinkedHashMap<>()).put(m.group(1), rate);
        }
        List<PriceTier> tiers = new ArrayList<>();
        byThreshold.forEach((above, r) -> tiers.add(new PriceTier(above, new Rates(
                r.getOrDefault("input_cost_per_token", base.input()),
                r.getOrDefault("output_cost_per_token", base.output()),
                r.getOrDefault("cache_read_input_token_cost", base.cachedInput()),
                r.getOrDefault("cache_creation_input_token_cost", base.cacheWrite5m()),
                base.cacheWrite1h()))));
        return tiers;
    }

    /** The batch discount, when LiteLLM gives batch costs that take the same fraction off input and output. */
    private static BigDecimal batchDiscount(JsonNode n, BigDecimal input, BigDecimal output) {
        BigDecimal batchIn = perMillion(n, "input_cost_per_token_batches");
        BigDecimal batchOut = perMillion(n, "output_cost_per_token_batches");
        if (batchIn == null || batchOut == null || input.signum() == 0 || output.signum() == 0) return null;
        // same fraction on both sides <=> batchIn * output == batchOut * input, checked exactly
        if (batchIn.multiply(output).compareTo(batchOut.multiply(input)) != 0) return null;
        BigDecimal kept = batchIn.divide(input, java.math.MathContext.DECIMAL64);
        BigDecimal discount = BigDecimal.ONE.subtract(kept).stripTrailingZeros();
        return discount.signum() > 0 && discount.compareTo(BigDecimal.ONE) < 0 ? discount : null;
    }

    /**
     * A per-token cost field as a per-million rate, read from the number's decimal text (a number written as a string
     * is accepted too); null when absent or not a number.
     */
    private static BigDecimal perMillion(JsonNode n, String field) {
        JsonNode v = n.get(field);
        BigDecimal perToken;
        if (v == null || v.isNull()) return null;
        if (v.isNumber()) {
            perToken = v.decimalValue();
        } else {
            try {
                perToken = new BigDecimal(v.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return clean(perToken.movePointRight(PER_MILLION));
    }

    private static BigDecimal clean(BigDecimal d) {
        BigDecimal s = d.stripTrailingZeros();
        return s.scale() < 0 ? s.setScale(0) : s;
    }

    /**
     * Writes prices in the format of the bundled {@code prices.yaml}, so {@link PriceCatalog#fromYaml} reads them
     * back. Rates are quoted plain decimals ("2.5", never "2.5E+0") so the file round-trips exactly.
     */
    public static void writeYaml(List<ModelPrice> prices, OutputStream out) throws IOException {
        ObjectMapper yaml = new ObjectMapper(YAMLFactory.builder()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .disable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .build());
        Map<String, List<ModelPrice>> byModel = new LinkedHashMap<>();
        for (ModelPrice p : prices) byModel.computeIfAbsent(p.model(), k -> new ArrayList<>()).add(p);

        ObjectNode root = yaml.createObjectNode();
        ArrayNode models = root.putArray("models");
        byModel.forEach((model, list) -> {
            ObjectNode m = models.addObject();
            m.put("model", model);
            m.put("provider", list.get(0).provider());
            m.put("mode", list.get(0).mode());
            ArrayNode entries = m.putArray("prices");
            for (ModelPrice p : list) {
                ObjectNode e = entries.addObject();
                e.put("effective", p.effectiveFrom().toString());
                e.put("source", p.source());
                putRates(e, p.rates());
                if (p.batchDiscount().signum() > 0) e.put("batch_discount", plain(p.batchDiscount()));
                if (p.webSearchPer1k().signum() > 0) e.put("web_search_per_1k", plain(p.webSearchPer1k()));
                if (!p.tiers().isEmpty()) {
                    ArrayNode tiers = e.putArray("tiers");
                    for (PriceTier t : p.tiers()) {
                        ObjectNode tn = tiers.addObject();
                        tn.put("above_input_tokens", t.aboveInputTokens());
                        putRates(tn, t.rates());
                    }
                }
                if (!p.serviceTiers().isEmpty()) {
                    ObjectNode tiers = e.putObject("service_tiers");
                    p.serviceTiers().entrySet().stream().sorted(Map.Entry.comparingByKey())
                            .forEach(t -> putRates(tiers.putObject(t.getKey()), t.getValue()));
                }
            }
        });
        out.write(("# Imported from LiteLLM's model_prices_and_context_window.json by `tollgate prices import`.\n"
                + "# Same format as Tollgate's bundled prices.yaml; rates are US dollars per million tokens.\n")
                .getBytes(StandardCharsets.UTF_8));
        yaml.writeValue(new NonClosing(out), root);
    }

    private static void putRates(ObjectNode n, Rates r) {
        n.put("input", plain(r.input()));
        n.put("output", plain(r.output()));
        n.put("cached_input", plain(r.cachedInput()));
        n.put("cache_write_5m", plain(r.cacheWrite5m()));
        n.put("cache_write_1h", plain(r.cacheWrite1h()));
    }

    private static String plain(BigDecimal d) {
        return clean(d).toPlainString();
    }

    /** Lets the caller keep ownership of its stream: Jackson closes what it writes to. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
