package dev.tollgate.core.pricing;

import dev.tollgate.core.usage.Usage;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One model's prices as they stood from {@code effectiveFrom} (00:00 UTC) until the next entry for the same model.
 *
 * @param model          the name the provider bills under ("gpt-4o", "claude-sonnet-4-5")
 * @param provider       who sells it ("openai", "anthropic", "google", "self-hosted", …)
 * @param mode           "chat", "completion", "embedding" or "responses"
 * @param effectiveFrom  the first UTC day these prices applied
 * @param source         where the prices come from (a price page URL, "config", "litellm")
 * @param rates          base rates per million tokens
 * @param tiers          long-context tiers, by ascending threshold
 * @param batchDiscount  the fraction taken off by the provider's batch API (0.5 = half price), or zero
 * @param webSearchPer1k what 1,000 searches of the provider's web search tool cost, on top of the tokens (Anthropic:
 *                       $10), or zero; the same at every prompt size, and not discounted for batches
 * @param serviceTiers   rates of the provider's other service tiers by the name its answers give them (OpenAI's
 *                       "flex" and "priority"); they replace the standard rates for the whole call
 * @param serviceTier    the service tier these rates are for; null for the standard tier
 */
public record ModelPrice(String model, String provider, String mode, LocalDate effectiveFrom, String source,
                         Rates rates, List<PriceTier> tiers, BigDecimal batchDiscount, BigDecimal webSearchPer1k,
                         Map<String, Rates> serviceTiers, String serviceTier) {

    private static final int PER_MILLION = 6;

    public ModelPrice {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(effectiveFrom, "effectiveFrom");
        Objects.requireNonNull(rates, "rates");
        provider = provider == null ? "unknown" : provider;
        mode = mode == null ? "chat" : mode;
        source = source == null ? "" : source;
        tiers = tiers == null ? List.of() : tiers.stream().sorted(Comparator.comparingLong(PriceTier::aboveInputTokens)).toList();
        batchDiscount = batchDiscount == null ? BigDecimal.ZERO : batchDiscount;
        webSearchPer1k = webSearchPer1k == null ? BigDecimal.ZERO : webSearchPer1k;
        if (webSearchPer1k.signum() < 0) throw new IllegalArgumentException("a rate cannot be negative: " + webSearchPer1k);
        serviceTiers = serviceTiers == null ? Map.of() : Map.copyOf(serviceTiers);
        if (!serviceTiers.isEmpty() && !tiers.isEmpty()) {
            // the providers publish service-tier rates for standard context only; a long prompt would be priced wrong
            throw new IllegalArgumentException("price of '" + model + "' has both long-context tiers and service_tiers;"
                    + " service-tier rates above a long-context threshold are not modelled");
        }
    }

    /** A standard-tier price with no other service tiers and no web search fee. */
    public ModelPrice(String model, String provider, String mode, LocalDate effectiveFrom, String source,
                      Rates rates, List<PriceTier> tiers, BigDecimal batchDiscount) {
        this(model, provider, mode, effectiveFrom, source, rates, tiers, batchDiscount, null, Map.of(), null);
    }

    /** The same price from another source. */
    public ModelPrice withSource(String newSource) {
        return new ModelPrice(model, provider, mode, effectiveFrom, newSource, rates, tiers, batchDiscount, webSearchPer1k,
                serviceTiers, serviceTier);
    }

    /**
     * A stable name for this price entry, written to the ledger with every priced call; a call served at another
     * service tier names it after a colon ("gpt-5@2025-08-07:flex"), so reports show which rates were billed.
     */
    public String version() {
        return serviceTier == null ? model + "@" + effectiveFrom : model + "@" + effectiveFrom + ":" + serviceTier;
    }

    /**
     * Whether an OpenAI {@code service_tier} names the standard tier: absent, {@code "default"}, or {@code "auto"}
     * (which a request may send; an answer names the tier it resolved to).
     */
    public static boolean isStandardTier(String serviceTier) {
        return serviceTier == null || serviceTier.isEmpty() || serviceTier.equals("default") || serviceTier.equals("auto")
                || serviceTier.equals("standard");
    }

    /**
     * This price as billed at {@code serviceTier}: itself for the standard tier, the tier's rates (no batch discount, no
     * further tiers) for one the catalog prices, and empty for one it does not, which the caller must not bill at
     * standard rates.
     */
    public Optional<ModelPrice> atServiceTier(String serviceTier) {
        if (isStandardTier(serviceTier)) return Optional.of(this);
        String name = serviceTier.toLowerCase(Locale.ROOT);
        Rates tierRates = serviceTiers.get(name);
        if (tierRates == null) return Optional.empty();
        return Optional.of(new ModelPrice(model, provider, mode, effectiveFrom, source, tierRates, List.of(), BigDecimal.ZERO,
                webSearchPer1k, Map.of(), name));
    }

    /** The rates that apply to a request with this many prompt tokens (long-context tiers included). */
    public Rates ratesFor(long promptTokens) {
        Rates applied = rates;
        for (PriceTier tier : tiers) {
            if (promptTokens > tier.aboveInputTokens()) applied = tier.rates();
        }
        return applied;
    }

    public Cost cost(Usage usage) {
        return cost(usage, false);
    }

    /**
     * The exact cost of a call: each kind of token at its own rate, and its web searches at the per-search fee;
     * batch calls get the batch discount on their tokens.
     */
    public Cost cost(Usage usage, boolean batch) {
        Rates r = ratesFor(usage.inputTokens());
        if (batch && batchDiscount.signum() > 0) r = r.times(BigDecimal.ONE.subtract(batchDiscount));
        BigDecimal cacheWrite = perMillion(usage.cacheWrite5mTokens(), r.cacheWrite5m())
                .add(perMillion(usage.cacheWrite1hTokens(), r.cacheWrite1h()));
        return new Cost(perMillion(usage.uncachedInputTokens(), r.input()),
                perMillion(usage.cachedInputTokens(), r.cachedInput()), cacheWrite,
                perMillion(usage.outputTokens(), r.output()),
                usage.webSearchRequests() == 0 ? BigDecimal.ZERO
                        : webSearchPer1k.multiply(BigDecimal.valueOf(usage.webSearchRequests())).movePointLeft(3));
    }

    /** {@code rate × tokens / 10⁶}, exact, at the rate's scale plus 6 (never below 0): two objects made, not three. */
    private static BigDecimal perMillion(long tokens, BigDecimal ratePerMillion) {
        if (tokens == 0) return BigDecimal.ZERO;
        BigDecimal cost = ratePerMillion.multiply(BigDecimal.valueOf(tokens, PER_MILLION));
        return cost.scale() < 0 ? cost.setScale(0) : cost;
    }
}
