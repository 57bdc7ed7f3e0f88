package dev.tollgate.gateway.tier;

import java.util.List;
import java.util.Map;

/**
 * The pure part of tiering: which tier a request's facts pick, by a tiered model's rules (first match wins, else the
 * default). No I/O and no allocation, so it can be tested and benchmarked alone.
 */
public final class TierRules {

    /**
     * What the rules look at.
     *
     * @param tags           the request's tags (the key's and {@code x-tollgate-tags})
     * @param key            the virtual key's name
     * @param promptTokens   the prompt's tokens, or -1 when no rule needs them (they were not counted); or a bound on
     *                       them below {@link #firstThreshold()}, which decides the same
     * @param tools          the request offers tools
     * @param responseFormat it asks for JSON or a JSON schema
     * @param messages       messages in the conversation (Responses: input items)
     */
    public record Facts(Map<String, String> tags, String key, long promptTokens, boolean tools, boolean responseFormat,
                        int messages) {
    }

    private final TierConfig.Rule[] rules;
    private final int[] tiers;
    private final int fallback;
    private final boolean needsPromptTokens;
    private final long firstThreshold;

    public TierRules(TierConfig config) {
        List<TierConfig.Rule> list = config.rules();
        this.rules = list.toArray(TierConfig.Rule[]::new);
        this.tiers = new int[rules.length];
        for (int i = 0; i < rules.length; i++) tiers[i] = TierConfig.tierIndex(config.ladder(), rules[i].tier(), "tiers." + config.name());
        this.fallback = TierConfig.tierIndex(config.ladder(), config.fallback(), "tiers." + config.name());
        this.needsPromptTokens = list.stream().anyMatch(TierConfig.Rule::usesPromptTokens);
        long first = Long.MAX_VALUE;
        for (TierConfig.Rule r : rules) {
            if (r.minPromptTokens() > 0) first = Math.min(first, r.minPromptTokens());
            if (r.maxPromptTokens() >= 0) first = Math.min(first, r.maxPromptTokens() + 1);
        }
        this.firstThreshold = first;
    }

    /**
     * The smallest prompt size at which some prompt-token condition changes its verdict: every count below it decides
     * the same, so a bound below it (the body's length in bytes) can stand in for counting.
     */
    public long firstThreshold() {
        return firstThreshold;
    }

    /** Whether some rule looks at prompt tokens (else {@link Facts#promptTokens()} need not be counted). */
    public boolean needsPromptTokens() {
        return needsPromptTokens;
    }

    /** The index in the ladder of the tier the first matching rule picks, else the default's. */
    public int decide(Facts facts) {
        int matched = match(facts);
        return matched >= 0 ? matched : fallback;
    }

    /** The index in the ladder of the tier the first matching rule picks, or -1 when none matches. */
    public int match(Facts facts) {
        for (int i = 0; i < rules.length; i++) {
            if (matches(rules[i], facts)) return tiers[i];
        }
        return -1;
    }

    /** The index in the ladder of the default tier. */
    public int fallback() {
        return fallback;
    }

    static boolean matches(TierConfig.Rule r, Facts f) {
        if (r.tools() != null && r.tools() != f.tools()) return false;
        if (r.responseFormat() != null && r.responseFormat() != f.responseFormat()) return false;
        if (r.minMessages() >= 0 && f.messages() < r.minMessages()) return false;
        if (r.maxMessages() >= 0 && f.messages() > r.maxMessages()) return false;
        if (r.minPromptTokens() >= 0 && f.promptTokens() < r.minPromptTokens()) return false;
        if (r.maxPromptTokens() >= 0 && f.promptTokens() > r.maxPromptTokens()) return false;
        if (r.key() != null && !r.key().equals(f.key())) return false;
        if (!r.tags().isEmpty()) {
            for (Map.Entry<String, String> t : r.tags().entrySet()) {
                if (!t.getValue().equals(f.tags().get(t.getKey()))) return false;
            }
        }
        return true;
    }
}
