package dev.tollgate.planner.scenario;

import java.math.BigDecimal;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A tiered way of serving every workload of a scenario: each tier's model takes its share of the calls, and a
 * response cache answers {@code responseCacheHitRate} of them before any model does (a hit costs nothing). This is
 * not the provider's prompt cache (a workload's {@code cache_hit_rate}), which discounts a prompt's prefix.
 *
 * @param tiers shares of the calls that reach a model, summing to exactly 1
 */
public record Mix(String name, List<Tier> tiers, BigDecimal responseCacheHitRate) {

    /** One tier: a catalog model or a self-hosted one, and its share of the calls. */
    public record Tier(String model, BigDecimal share) {
        public Tier {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(share, "share");
        }
    }

    public Mix {
        Objects.requireNonNull(name, "name");
        tiers = List.copyOf(tiers);
        responseCacheHitRate = responseCacheHitRate == null ? BigDecimal.ZERO : responseCacheHitRate;
        if (tiers.isEmpty()) throw new IllegalArgumentException("mix '" + name + "' needs at least one tier");
        Set<String> seen = new HashSet<>();
        BigDecimal sum = BigDecimal.ZERO;
        for (Tier t : tiers) {
            if (t.share().signum() <= 0 || t.share().compareTo(BigDecimal.ONE) > 0) {
                throw new IllegalArgumentException("mix '" + name + "': the share of '" + t.model() + "' must be above 0 and at most 1");
            }
            if (!seen.add(t.model())) throw new IllegalArgumentException("mix '" + name + "': '" + t.model() + "' is in two tiers");
            sum = sum.add(t.share());
        }
        if (sum.compareTo(BigDecimal.ONE) != 0) {
            throw new IllegalArgumentException("mix '" + name + "': tier shares add up to " + sum.stripTrailingZeros().toPlainString() + ", not 1");
        }
        if (responseCacheHitRate.signum() < 0 || responseCacheHitRate.compareTo(BigDecimal.ONE) >= 0) {
            throw new IllegalArgumentException("mix '" + name + "': response cache hit rate must be at least 0 and below 1");
        }
    }

    /** The share of calls that reach a model: 1 − response cache hit rate. */
    public BigDecimal served() {
        return BigDecimal.ONE.subtract(responseCacheHitRate);
    }

    /** "60% llama-3-8b-l4, 30% gpt-4o-mini, 10% gpt-4o; 20% from the response cache". */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (Tier t : tiers) {
            if (!b.isEmpty()) b.append(", ");
            b.append(pct(t.share())).append(' ').append(t.model());
        }
        if (responseCacheHitRate.signum() > 0) b.append("; ").append(pct(responseCacheHitRate)).append(" from the response cache");
        return b.toString();
    }

    private static String pct(BigDecimal fraction) {
        return fraction.movePointRight(2).stripTrailingZeros().toPlainString() + "%";
    }
}
