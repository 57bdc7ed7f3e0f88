package dev.tollgate.core.pricing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Every known model's price history. Immutable: {@link #with} returns a new catalog, so a running gateway can
 * swap catalogs atomically.
 *
 * <p>A request is priced by {@link #priceAt}: the entry for the model whose {@code effectiveFrom} is the latest
 * one on or before the day the call ran. Names are resolved leniently: exact name, then a declared alias, then
 * without a provider prefix ("openai/gpt-4o") or a date snapshot suffix ("gpt-4o-2024-08-06", "…-20250929").
 */
public final class PriceCatalog {

    private static final String BUNDLED = "/dev/tollgate/core/pricing/prices.yaml";
    /**
     * A snapshot suffix: "-2024-08-06", "-20250929", Vertex's "@20250929", or four digits that read as a date: MMDD
     * (OpenAI's "-0613", "-1106") or YYMM from 2023 on (Mistral's "-2411", "-2512"). Other four-digit endings are
     * part of a model's name (Groq's "llama3-70b-8192", "-4096"), so they are not stripped.
     */
    private static final Pattern SNAPSHOT_SUFFIX = Pattern.compile(
            "(?:-(?:\\d{4}-\\d{2}-\\d{2}|\\d{8}|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])|2[3-9](?:0[1-9]|1[0-2]))|@\\d{8})$");

    private static final long SECONDS_PER_DAY = 86_400;

    /** model → its prices, newest first. */
    private final Map<String, List<ModelPrice>> byModel;
    private final Map<String, String> aliases;

    private PriceCatalog(Map<String, List<ModelPrice>> byModel, Map<String, String> aliases) {
        this.byModel = byModel;
        this.aliases = aliases;
    }

    public static PriceCatalog empty() {
        return new PriceCatalog(Map.of(), Map.of());
    }

    /** The catalog shipped with Tollgate. */
    public static PriceCatalog bundled() {
        try (InputStream in = PriceCatalog.class.getResourceAsStream(BUNDLED)) {
            if (in == null) throw new IllegalStateException("bundled price catalog missing: " + BUNDLED);
            return fromYaml(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the catalog format of {@code prices.yaml} (see its header for the fields). */
    public static PriceCatalog fromYaml(InputStream in) throws IOException {
        JsonNode root = new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).readTree(in);
        List<ModelPrice> prices = new ArrayList<>();
        Map<String, String> aliases = new HashMap<>();
        for (JsonNode m : root.path("models")) {
            prices.addAll(parseModel(m));
            for (JsonNode alias : m.path("aliases")) aliases.put(alias.asText(), m.path("model").asText());
        }
        return empty().with(prices).withAliases(aliases);
    }

    /**
     * Parses one catalog entry: {@code model, provider, mode, aliases} and a list of {@code prices}, each with
     * {@code effective, source, input, output, cached_input, cache_write_5m, cache_write_1h, batch_discount,
     * web_search_per_1k} and optional {@code tiers: [{above_input_tokens, input, output, cached_input, …}]} and
     * {@code service_tiers: {flex: {input, output, cached_input}, priority: {…}}}. Rates are USD per
     * million tokens. The same shape is used for prices in the gateway's config.
     */
    public static List<ModelPrice> parseModel(JsonNode m) {
        String model = required(m, "model").asText();
        List<ModelPrice> out = new ArrayList<>();
        JsonNode entries = m.has("prices") ? m.get("prices") : new ObjectMapper().createArrayNode().add(m);
        for (JsonNode p : entries) {
            List<PriceTier> tiers = new ArrayList<>();
            for (JsonNode t : p.path("tiers")) {
                tiers.add(new PriceTier(required(t, "above_input_tokens").asLong(), rates(t, model)));
            }
            Map<String, Rates> serviceTiers = new TreeMap<>();
            JsonNode named = p.path("service_tiers");
            if (!named.isMissingNode() && !named.isObject()) {
                throw new IllegalArgumentException("service_tiers of '" + model + "' must map a tier name (flex, priority) to its rates");
            }
            for (var t : (Iterable<Map.Entry<String, JsonNode>>) named::fields) {
                String tier = t.getKey();
                if (ModelPrice.isStandardTier(tier) || !tier.equals(tier.toLowerCase(Locale.ROOT))) {
                    throw new IllegalArgumentException("service_tiers of '" + model + "': '" + tier
                            + "' is not a tier name to price (the standard tier's rates are the entry's own; use flex, priority, …)");
                }
                serviceTiers.put(tier, rates(t.getValue(), model + "' at service tier '" + tier));
            }
            LocalDate effective = p.hasNonNull("effective") ? LocalDate.parse(p.get("effective").asText()) : LocalDate.EPOCH;
            out.add(new ModelPrice(model, text(m, "provider"), text(m, "mode"), effective, text(p, "source"),
                    rates(p, model), tiers, decimal(p, "batch_discount"), decimal(p, "web_search_per_1k"), serviceTiers, null));
        }
        return out;
    }

    private static Rates rates(JsonNode n, String model) {
        if (!n.has("input") || !n.has("output")) {
            throw new IllegalArgumentException("price of '" + model + "' needs both 'input' and 'output' (USD per million tokens)");
        }
        return new Rates(decimal(n, "input"), decimal(n, "output"), decimal(n, "cached_input"),
                decimal(n, "cache_write_5m"), decimal(n, "cache_write_1h"));
    }

    private static JsonNode required(JsonNode n, String field) {
        if (!n.hasNonNull(field)) throw new IllegalArgumentException("price entry lacks '" + field + "': " + n);
        return n.get(field);
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }

    /** Decimals are read from their text, never through a double. */
    private static BigDecimal decimal(JsonNode n, String field) {
        return n.hasNonNull(field) ? new BigDecimal(n.get(field).asText()) : null;
    }

    /** A catalog with these prices added; an entry for the same model and day replaces the existing one. */
    public PriceCatalog with(Collection<ModelPrice> prices) {
        Map<String, Map<LocalDate, ModelPrice>> merged = new TreeMap<>();
        byModel.forEach((model, list) -> list.forEach(p -> merged.computeIfAbsent(model, k -> new TreeMap<>()).put(p.effectiveFrom(), p)));
        prices.forEach(p -> merged.computeIfAbsent(p.model(), k -> new TreeMap<>()).put(p.effectiveFrom(), p));
        Map<String, List<ModelPrice>> next = new HashMap<>();
        merged.forEach((model, byDay) -> next.put(model,
                byDay.values().stream().sorted(Comparator.comparing(ModelPrice::effectiveFrom).reversed()).toList()));
        return new PriceCatalog(Map.copyOf(next), aliases);
    }

    public PriceCatalog withAliases(Map<String, String> more) {
        Map<String, String> next = new HashMap<>(aliases);
        next.putAll(more);
        return new PriceCatalog(byModel, Map.copyOf(next));
    }

    /** The price in force for {@code model} at {@code at}, if the model is known and was priced by then. */
    public Optional<ModelPrice> priceAt(String model, Instant at) {
        long day = Math.floorDiv(at.getEpochSecond(), SECONDS_PER_DAY); // the UTC day, without a LocalDate per call
        for (ModelPrice p : history(model)) {
            if (p.effectiveFrom().toEpochDay() <= day) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** The price in force now. */
    public Optional<ModelPrice> current(String model) {
        return priceAt(model, Instant.now());
    }

    /** All prices of a model, newest first; empty when unknown. */
    public List<ModelPrice> history(String model) {
        return resolve(model).map(byModel::get).orElse(List.of());
    }

    /** The catalog's own name for a model name as a client or provider spells it. */
    public Optional<String> resolve(String model) {
        if (model == null || model.isBlank()) return Optional.empty();
        for (String candidate = model; candidate != null; candidate = simpler(candidate)) {
            if (byModel.containsKey(candidate)) return Optional.of(candidate);
            String alias = aliases.get(candidate);
            if (alias != null && byModel.containsKey(alias)) return Optional.of(alias);
            String lower = candidate.toLowerCase(Locale.ROOT);
            if (byModel.containsKey(lower)) return Optional.of(lower);
        }
        return Optional.empty();
    }

    /** Strips one layer of decoration: a provider prefix first, then a snapshot date. */
    private static String simpler(String name) {
        int slash = name.indexOf('/');
        if (slash >= 0) return name.substring(slash + 1);
        var matcher = SNAPSHOT_SUFFIX.matcher(name);
        if (matcher.find()) return name.substring(0, matcher.start());
        return null;
    }

    /** Every model name with a price, sorted. */
    public List<String> models() {
        return byModel.keySet().stream().sorted().toList();
    }

    public int size() {
        return byModel.size();
    }
}
