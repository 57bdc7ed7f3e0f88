package dev.tollgate.planner.scenario;

import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.planner.report.Money;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Prices a {@link Scenario} with the catalog: each turn of a conversation is priced as one call by the model's own
 * price entry (long-context tiers, cache-read and cache-write rates, batch discount), so the figures are the ones the
 * gateway would meter for the same traffic.
 */
public final class ScenarioCalculator {

    /** The 90th percentile of a normal distribution, in standard deviations. */
    private static final double Z90 = 1.2815515655446004;
    private static final BigDecimal TEN_PERCENT = new BigDecimal("1.1");

    private final PriceCatalog catalog;
    private final Instant pricedAt;

    /** Prices in force at {@code pricedAt} are used. */
    public ScenarioCalculator(PriceCatalog catalog, Instant pricedAt) {
        this.catalog = catalog;
        this.pricedAt = pricedAt;
    }

    public ModelPrice price(String model) {
        return catalog.priceAt(model, pricedAt).orElseThrow(() -> new IllegalArgumentException(
                "model '" + model + "' has no price in the catalog (see ./tollgate prices list) and is not a self_hosted or mixes entry of the scenario"));
    }

    public ModelCost cost(Scenario scenario, String model) {
        List<WorkloadCost> costs = new ArrayList<>();
        for (Workload w : scenario.workloads()) costs.add(cost(scenario, w, model));
        return new ModelCost(model, costs, fixedMonthly(scenario, model));
    }

    /** The fixed monthly cost of the self-hosted models a name uses: its own, or each self-hosted tier's once. */
    static BigDecimal fixedMonthly(Scenario scenario, String model) {
        var mix = scenario.mix(model);
        if (mix.isEmpty()) return scenario.selfHosted(model).map(SelfHostedModel::fixedMonthly).orElse(BigDecimal.ZERO);
        return mix.get().tiers().stream().map(t -> fixedMonthly(scenario, t.model())).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    public List<ModelCost> costs(Scenario scenario) {
        return scenario.models().stream().map(m -> cost(scenario, m)).toList();
    }

    /** One workload on a catalog model. */
    public WorkloadCost cost(Workload w, String model, BigDecimal daysPerMonth) {
        ModelPrice price = price(model);
        return cost(w, model, price.version(), daysPerMonth, (usage, batch) -> {
            var cost = price.cost(usage, batch);
            return new BigDecimal[] {cost.input().add(cost.cachedInput()).add(cost.cacheWrite()), cost.output()};
        });
    }

    /** One workload on a name of the scenario: a tiered mix, a self-hosted model, or a catalog model. */
    public WorkloadCost cost(Scenario scenario, Workload w, String model) {
        var mix = scenario.mix(model);
        if (mix.isPresent()) return mixCost(scenario, w, mix.get());
        var self = scenario.selfHosted(model);
        if (self.isPresent()) {
            SelfHostedModel s = self.get();
            // the prefix read from the cache is not prefilled again; batch APIs do not apply to your own GPUs
            return cost(w, model, s.describe(), scenario.daysPerMonth(), (usage, batch) -> new BigDecimal[] {
                    s.cost(s.prefillSeconds(usage.inputTokens() - usage.cachedInputTokens())),
                    s.cost(s.decodeSeconds(usage.inputTokens(), usage.outputTokens()))});
        }
        return cost(w, model, scenario.daysPerMonth());
    }

    /**
     * A workload on a mix: each tier's cost weighted by its share, all of it times the share of calls the response
     * cache does not answer. Tokens per conversation are the workload's own (the same on every tier).
     */
    private WorkloadCost mixCost(Scenario scenario, Workload w, Mix mix) {
        BigDecimal served = mix.served();
        BigDecimal perConversation = BigDecimal.ZERO;
        BigDecimal p90 = BigDecimal.ZERO;
        BigDecimal input = BigDecimal.ZERO;
        BigDecimal output = BigDecimal.ZERO;
        BigDecimal yearly = BigDecimal.ZERO;
        WorkloadCost any = null;
        for (Mix.Tier t : mix.tiers()) {
            WorkloadCost c = cost(scenario, w, t.model());
            BigDecimal k = t.share().multiply(served);
            perConversation = perConversation.add(c.perConversation().multiply(k));
            p90 = p90.add(c.p90PerConversation().multiply(k));
            input = input.add(c.inputMonthly().multiply(k));
            output = output.add(c.outputMonthly().multiply(k));
            yearly = yearly.add(c.yearly().multiply(k));
            any = c;
        }
        return new WorkloadCost(w.name(), mix.name(), "mix of " + mix.tiers().size() + " tiers", w.turns(), any.inputTokensPerConversation(),
                any.cachedTokensPerConversation(), any.outputTokensPerConversation(), perConversation,
                Money.ratio(perConversation, BigDecimal.valueOf(w.turns())), p90, any.monthlyCalls(), input, output, yearly);
    }

    /** One tier of a mix over every workload: the tier's share of the month after the response cache, fixed costs included. */
    public record TierCost(String model, String price, BigDecimal share, BigDecimal monthlyCalls, BigDecimal monthly) {
    }

    /**
     * Each tier of a mix priced over all workloads (its share of the calls the response cache leaves), then a last
     * row, model null, for the calls the response cache answers at no cost.
     */
    public List<TierCost> tiers(Scenario scenario, Mix mix) {
        List<TierCost> rows = new ArrayList<>();
        BigDecimal calls = BigDecimal.ZERO;
        for (Mix.Tier t : mix.tiers()) {
            ModelCost c = cost(scenario, t.model());
            String price = c.workloads().getFirst().priceVersion();
            rows.add(new TierCost(t.model(), price, t.share(), c.monthlyCalls().multiply(t.share()).multiply(mix.served()),
                    c.usageMonthly().multiply(t.share()).multiply(mix.served()).add(c.fixedMonthly())));
            calls = c.monthlyCalls(); // the same on every tier: the workloads' calls
        }
        rows.add(new TierCost(null, "response cache", mix.responseCacheHitRate(), calls.multiply(mix.responseCacheHitRate()), BigDecimal.ZERO));
        return rows;
    }

    /** How one call is priced: its usage (and whether it may go through a batch API) to {input, output} dollars. */
    private interface CallPricer {
        BigDecimal[] price(Usage usage, boolean batch);
    }

    private WorkloadCost cost(Workload w, String model, String priceVersion, BigDecimal daysPerMonth, CallPricer pricer) {
        BigDecimal input = BigDecimal.ZERO;
        BigDecimal output = BigDecimal.ZERO;
        long inputTokens = 0;
        long cachedTokens = 0;
        long outputTokens = 0;
        for (int turn = 1; turn <= w.turns(); turn++) {
            Usage usage = turnUsage(w, turn, w.inputTokens(), w.contextTokens(), w.outputTokens());
            BigDecimal[] cost = pricer.price(usage, w.batch());
            input = input.add(cost[0]);
            output = output.add(cost[1]);
            inputTokens += usage.inputTokens();
            cachedTokens += usage.cachedInputTokens();
            outputTokens += usage.outputTokens();
        }
        BigDecimal perConversation = input.add(output);
        BigDecimal p90 = BigDecimal.ZERO;
        for (int turn = 1; turn <= w.turns(); turn++) {
            Usage usage = turnUsage(w, turn, p90(w.inputTokens(), w.inputSpread()), p90(w.contextTokens(), w.inputSpread()),
                    p90(w.outputTokens(), w.outputSpread()));
            BigDecimal[] cost = pricer.price(usage, w.batch());
            p90 = p90.add(cost[0]).add(cost[1]);
        }
        BigDecimal conversationsPerMonth = w.conversationsPerDay().multiply(daysPerMonth);
        BigDecimal inputMonthly = input.multiply(conversationsPerMonth);
        BigDecimal outputMonthly = output.multiply(conversationsPerMonth);
        BigDecimal yearly = BigDecimal.ZERO;
        BigDecimal month = inputMonthly.add(outputMonthly);
        BigDecimal growth = BigDecimal.ONE.add(w.growthPerMonth());
        for (int m = 0; m < 12; m++) {
            yearly = yearly.add(month);
            month = month.multiply(growth);
        }
        return new WorkloadCost(w.name(), model, priceVersion, w.turns(), inputTokens, cachedTokens, outputTokens,
                perConversation, Money.ratio(perConversation, BigDecimal.valueOf(w.turns())), p90,
                conversationsPerMonth.multiply(BigDecimal.valueOf(w.turns())), inputMonthly, outputMonthly, yearly);
    }

    /** The tokens of turn {@code turn}: the cacheable prefix (system prompt and history), then context and message. */
    static Usage turnUsage(Workload w, int turn, long message, long context, long output) {
        long prefix = w.systemPromptTokens() + (turn - 1L) * w.historyPerTurn();
        long cached = new BigDecimal(prefix).multiply(w.cacheHitRate()).setScale(0, RoundingMode.HALF_EVEN).longValueExact();
        long written = w.cacheHitRate().signum() > 0 ? prefix - cached : 0;
        return new Usage(prefix + context + message, cached, written, 0, output, 0);
    }

    private static long p90(long mean, double spread) {
        return Math.round(mean * (1 + Z90 * spread));
    }

    /**
     * The change in the monthly bill per model when each driver moves on its own: volume, message, output, system
     * prompt, context and history sizes by +10%, turns of multi-turn workloads by one more, the cache hit rate by
     * 10 points. Drivers that change nothing are left out; sorted by the largest absolute change on the first model.
     */
    public List<Sensitivity> sensitivity(Scenario scenario) {
        Map<String, BigDecimal> base = new LinkedHashMap<>();
        for (String m : scenario.models()) base.put(m, cost(scenario, m).monthly());
        List<Sensitivity> rows = new ArrayList<>();
        rows.add(driver(scenario, base, "volume", "+10%", w -> w.withConversationsPerDay(w.conversationsPerDay().multiply(TEN_PERCENT))));
        // single-call workloads have no turns to add
        rows.add(driver(scenario, base, "turns per conversation", "+1 turn", w -> w.turns() > 1 ? w.withTurns(w.turns() + 1) : w));
        rows.add(driver(scenario, base, "user message tokens", "+10%", w -> w.withInputTokens(tenPercentMore(w.inputTokens()))));
        rows.add(driver(scenario, base, "output tokens", "+10%", w -> w.withOutputTokens(tenPercentMore(w.outputTokens()))));
        rows.add(driver(scenario, base, "system prompt tokens", "+10%", w -> w.withSystemPromptTokens(tenPercentMore(w.systemPromptTokens()))));
        rows.add(driver(scenario, base, "retrieved context tokens", "+10%", w -> w.withContextTokens(tenPercentMore(w.contextTokens()))));
        rows.add(driver(scenario, base, "history growth per turn", "+10%", w -> w.withHistoryPerTurn(tenPercentMore(w.historyPerTurn()))));
        rows.add(driver(scenario, base, "cache hit rate", "+10 points",
                w -> w.withCacheHitRate(w.cacheHitRate().add(new BigDecimal("0.1")).min(BigDecimal.ONE))));
        rows.removeIf(r -> r.monthlyChange().values().stream().allMatch(d -> d.signum() == 0));
        String first = scenario.models().getFirst();
        rows.sort(Comparator.comparing((Sensitivity s) -> s.monthlyChange().get(first).abs()).reversed());
        return rows;
    }

    private static long tenPercentMore(long tokens) {
        return Math.round(tokens * 1.1);
    }

    private Sensitivity driver(Scenario scenario, Map<String, BigDecimal> base, String driver, String change,
                               UnaryOperator<Workload> move) {
        Scenario moved = scenario.withWorkloads(scenario.workloads().stream().map(move).toList());
        Map<String, BigDecimal> deltas = new LinkedHashMap<>();
        for (String m : scenario.models()) deltas.put(m, cost(moved, m).monthly().subtract(base.get(m)));
        return new Sensitivity(driver, change, deltas);
    }

    /** The five TCO categories around one model's usage, and the cost per outcome when the scenario names one. */
    public TcoCost tco(Scenario scenario, ModelCost usage) {
        Tco t = scenario.tco();
        BigDecimal outcomes = null;
        BigDecimal perOutcome = null;
        BigDecimal human = null;
        if (scenario.outcome() != null) {
            BigDecimal conversations = scenario.workloads().stream().map(Workload::conversationsPerDay)
                    .reduce(BigDecimal.ZERO, BigDecimal::add).multiply(scenario.daysPerMonth());
            outcomes = conversations.multiply(scenario.outcome().perConversation());
            human = scenario.outcome().humanCost();
        }
        TcoCost cost = new TcoCost(usage.model(), usage.monthly(), t.compute(), t.infrastructure(), t.people(),
                t.securityComplianceMonitoring(), usage.yearly(), outcomes, null, human);
        if (outcomes != null) perOutcome = Money.ratio(cost.monthly(), outcomes);
        return new TcoCost(cost.model(), cost.modelUsage(), cost.compute(), cost.infrastructure(), cost.people(),
                cost.securityComplianceMonitoring(), cost.modelUsageYearly(), outcomes, perOutcome, human);
    }
}
