package dev.tollgate.gateway.audit;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.pricing.Rates;
import dev.tollgate.core.tokens.TokenCounter;
import dev.tollgate.store.AuditedPrompt;
import dev.tollgate.store.PromptRecord;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The prompt audit: where the prompt tokens of logged requests go, which templates recur, and what could be saved.
 *
 * <p>Findings, each with a recommendation and a monthly saving priced exactly from the catalog:
 * <ul>
 *   <li>{@code growing_history}: conversations (same key, same system prompt, each request's messages extending an
 *       earlier one's) resend their whole history every turn; keeping the last {@value #KEEP_EXCHANGES} exchanges
 *       saves the tokens of the older ones at the input rate.</li>
 *   <li>{@code big_system_prompt}: short questions (at most {@value #SMALL_QUESTION} tokens) carrying a system
 *       prompt of at least {@value #BIG_SYSTEM} tokens and {@value #SYSTEM_RATIO}× the question; the saving is that of
 *       halving the system prompt.</li>
 *   <li>{@code oversized_output}: per group and model (at least {@value #MIN_REQUESTS} requests), answers longer
 *       than the 90th percentile in requests whose {@code max_tokens} is unset or over twice that percentile; the
 *       saving is the output beyond it, at the output rate, once {@code max_tokens} is set to the percentile.</li>
 * </ul>
 * Removed prompt tokens within what the provider read from its prompt cache (a prompt's prefix) are priced at the
 * cached rate. Savings are the observed ones scaled up by each prompt's sample rate and extrapolated to 30 days from the span
 * the prompts cover (at least one day, so a burst is not multiplied into a fortune).
 */
public final class PromptAudit {

    static final int KEEP_EXCHANGES = 3;
    static final int SMALL_QUESTION = 150;
    static final int BIG_SYSTEM = 500;
    static final int SYSTEM_RATIO = 4;
    static final int MIN_REQUESTS = 5;
    static final int MAX_TEMPLATES = 20;
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);
    private static final BigDecimal MONTH_SECONDS = BigDecimal.valueOf(30L * 86_400);
    private static final long MIN_WINDOW_SECONDS = 86_400;

    private final PriceCatalog catalog;
    private final String groupTag;
    private final Map<String, TokenCounter> counters = new HashMap<>();

    public PromptAudit(PriceCatalog catalog, String groupTag) {
        this.catalog = catalog;
        this.groupTag = groupTag;
    }

    /** The whole audit. */
    public record Report(Instant from, Instant to, long requests, BigDecimal monthFactor, List<TokenShare> shares,
                         List<Template> templates, List<Finding> findings) {
    }

    /** Prompt tokens of one group by part (the gateway's own count of the logged text). */
    public record TokenShare(String group, long requests, long systemTokens, long historyTokens, long userTokens) {
        public double share(long part) {
            long total = systemTokens + historyTokens + userTokens;
            return total == 0 ? 0 : Math.round(1000.0 * part / total) / 10.0;
        }
    }

    /** A recurring system prompt or user message, with what its requests used and cost. */
    public record Template(String kind, String template, long requests, long inputTokens, long outputTokens, BigDecimal costUsd) {
    }

    /**
     * A saving opportunity.
     *
     * @param tokenReductionPct share of the group's input (or, for output findings, output) tokens saved
     * @param observedSavingUsd what the logged requests would have saved
     * @param monthlySavingUsd  the same extrapolated to 30 days
     * @param evidence          the numbers behind it, by name
     */
    public record Finding(String type, String group, String model, String recommendation, long requests,
                          double tokenReductionPct, BigDecimal observedSavingUsd, BigDecimal monthlySavingUsd,
                          Map<String, Object> evidence) {
    }

    public Report run(List<AuditedPrompt> rows) {
        if (rows.isEmpty()) return new Report(null, null, 0, BigDecimal.ZERO, List.of(), List.of(), List.of());
        Instant from = rows.stream().map(r -> r.prompt().time()).min(Comparator.naturalOrder()).orElseThrow();
        Instant to = rows.stream().map(r -> r.prompt().time()).max(Comparator.naturalOrder()).orElseThrow();
        long window = Math.max(MIN_WINDOW_SECONDS, Duration.between(from, to).getSeconds());
        BigDecimal monthFactor = plain(MONTH_SECONDS.divide(BigDecimal.valueOf(window), 12, RoundingMode.HALF_EVEN));
        List<Finding> findings = new ArrayList<>();
        findings.addAll(growingHistory(rows, monthFactor));
        findings.addAll(bigSystemPrompts(rows, monthFactor));
        findings.addAll(oversizedOutput(rows, monthFactor));
        findings.sort(Comparator.comparing(Finding::monthlySavingUsd).reversed());
        return new Report(from, to, rows.size(), monthFactor, shares(rows), templates(rows), findings);
    }

    // ---- where tokens go

    private List<TokenShare> shares(List<AuditedPrompt> rows) {
        Map<String, long[]> sums = new LinkedHashMap<>();
        for (AuditedPrompt r : rows) {
            long[] s = sums.computeIfAbsent(group(r), g -> new long[4]);
            s[0]++;
            s[1] += r.prompt().systemTokens();
            s[2] += r.prompt().historyTokens();
            s[3] += r.prompt().userTokens();
        }
        List<TokenShare> out = new ArrayList<>();
        sums.forEach((g, s) -> out.add(new TokenShare(g, s[0], s[1], s[2], s[3])));
        out.sort(Comparator.comparingLong((TokenShare t) -> t.systemTokens() + t.historyTokens() + t.userTokens()).reversed());
        return out;
    }

    // ---- templates

    private List<Template> templates(List<AuditedPrompt> rows) {
        Drain systems = new Drain();
        Drain users = new Drain();
        Map<Drain.Cluster, Totals> totals = new IdentityHashMap<>();
        Map<Drain.Cluster, String> kinds = new IdentityHashMap<>();
        for (AuditedPrompt r : rows) {
            if (r.prompt().systemPrompt() != null) {
                Drain.Cluster c = systems.add(r.prompt().systemPrompt());
                kinds.put(c, "system");
                totals.computeIfAbsent(c, k -> new Totals()).add(r);
            }
            String question = lastUser(r.prompt());
            if (question != null) {
                Drain.Cluster c = users.add(question);
                kinds.put(c, "user");
                totals.computeIfAbsent(c, k -> new Totals()).add(r);
            }
        }
        List<Template> out = new ArrayList<>();
        totals.forEach((c, t) -> out.add(new Template(kinds.get(c), c.template(), t.requests, t.input, t.output, t.cost)));
        out.sort(Comparator.comparing(Template::costUsd).reversed().thenComparing(Template::template));
        return out.subList(0, Math.min(MAX_TEMPLATES, out.size()));
    }

    private static final class Totals {
        long requests, input, output;
        BigDecimal cost = BigDecimal.ZERO;

        void add(AuditedPrompt r) {
            requests++;
            input += r.usage().inputTokens();
            output += r.usage().outputTokens();
            cost = cost.add(r.costUsd());
        }
    }

    // ---- findings

    private List<Finding> growingHistory(List<AuditedPrompt> rows, BigDecimal monthFactor) {
        Map<AuditedPrompt, Conversation> conversations = conversations(rows);
        Map<String, List<AuditedPrompt>> byGroup = byGroup(rows);
        List<Finding> out = new ArrayList<>();
        for (var e : byGroup.entrySet()) {
            long removable = 0, input = 0, trimmed = 0;
            BigDecimal saving = BigDecimal.ZERO;
            int growing = 0, longest = 0;
            java.util.Set<Conversation> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            for (AuditedPrompt r : e.getValue()) {
                input += r.usage().inputTokens();
                Conversation c = conversations.get(r);
                if (seen.add(c) && c.turns > KEEP_EXCHANGES + 1) {
                    growing++;
                    longest = Math.max(longest, c.turns);
                }
                long tokens = olderHistoryTokens(r.prompt());
                if (tokens == 0) continue;
                Optional<Rates> rates = rates(r);
                if (rates.isEmpty()) continue;
                trimmed++;
                removable += tokens;
                // the old history follows the system prompt: the part of it the provider read from its cache costs the cached rate
                saving = saving.add(weighted(r, inputSaving(rates.get(), r, r.prompt().systemTokens(), BigDecimal.valueOf(tokens))));
            }
            if (removable == 0 || growing == 0) continue;
            double pct = percent(removable, input);
            BigDecimal monthly = monthly(saving, monthFactor);
            out.add(new Finding("growing_history", e.getKey(), null,
                    "keep the last " + KEEP_EXCHANGES + " exchanges of history (summarize or drop older turns): −"
                            + pct + "% input tokens on " + e.getKey() + ", ≈ $" + dollars(monthly) + "/month",
                    trimmed, pct, plain(saving), monthly,
                    evidence("growing_conversations", growing, "longest_conversation_turns", longest,
                            "history_tokens_removable", removable, "input_tokens", input)));
        }
        return out;
    }

    /** Tokens of the history before the last {@link #KEEP_EXCHANGES} exchanges (the messages before the last user message). */
    private long olderHistoryTokens(PromptRecord p) {
        int lastUser = -1;
        for (int i = 0; i < p.messages().size(); i++) if (p.messages().get(i).role().equals("user")) lastUser = i;
        int keepFrom = lastUser - 2 * KEEP_EXCHANGES;
        if (keepFrom <= 0) return 0;
        TokenCounter counter = counter(p.model());
        long tokens = 0;
        for (int i = 0; i < keepFrom; i++) tokens += counter.count(p.messages().get(i).content());
        return tokens;
    }

    private static final class Conversation {
        int turns;
    }

    /** Links each request to its conversation: same key, same system prompt, messages extending an earlier request's. */
    private static Map<AuditedPrompt, Conversation> conversations(List<AuditedPrompt> rows) {
        Map<AuditedPrompt, Conversation> out = new IdentityHashMap<>();
        Map<List<Object>, Conversation> byPrefix = new HashMap<>();
        for (AuditedPrompt r : rows) {
            PromptRecord p = r.prompt();
            List<PromptRecord.Message> msgs = p.messages();
            Conversation c = null;
            for (int len = msgs.size() - 1; len >= 1 && c == null; len--) {
                c = byPrefix.get(List.of(p.keyName() == null ? "" : p.keyName(), p.systemPrompt() == null ? "" : p.systemPrompt(),
                        msgs.subList(0, len)));
            }
            if (c == null) c = new Conversation();
            c.turns++;
            byPrefix.put(List.of(p.keyName() == null ? "" : p.keyName(), p.systemPrompt() == null ? "" : p.systemPrompt(),
                    List.copyOf(msgs)), c);
            out.put(r, c);
        }
        return out;
    }

    private List<Finding> bigSystemPrompts(List<AuditedPrompt> rows, BigDecimal monthFactor) {
        Drain systems = new Drain();
        Map<Drain.Cluster, List<AuditedPrompt>> heavy = new IdentityHashMap<>();
        Map<Drain.Cluster, Long> order = new IdentityHashMap<>();
        for (AuditedPrompt r : rows) {
            PromptRecord p = r.prompt();
            if (p.systemPrompt() == null) continue;
            Drain.Cluster c = systems.add(p.systemPrompt());
            if (p.userTokens() <= SMALL_QUESTION && p.systemTokens() >= BIG_SYSTEM && p.systemTokens() >= SYSTEM_RATIO * p.userTokens()) {
                heavy.computeIfAbsent(c, k -> new ArrayList<>()).add(r);
                order.putIfAbsent(c, (long) order.size());
            }
        }
        List<Finding> out = new ArrayList<>();
        for (var e : heavy.entrySet()) {
            long system = 0, user = 0, input = 0, requests = 0;
            BigDecimal saving = BigDecimal.ZERO;
            for (AuditedPrompt r : e.getValue()) {
                Optional<Rates> rates = rates(r);
                if (rates.isEmpty()) continue;
                requests++;
                system += r.prompt().systemTokens();
                user += r.prompt().userTokens();
                input += r.usage().inputTokens();
                BigDecimal half = BigDecimal.valueOf(r.prompt().systemTokens()).divide(BigDecimal.TWO);
                saving = saving.add(weighted(r, inputSaving(rates.get(), r, 0, half)));
            }
            if (requests == 0) continue;
            long avgSystem = Math.round((double) system / requests);
            long avgUser = Math.round((double) user / requests);
            double pct = percent(system / 2.0, input);
            BigDecimal monthly = monthly(saving, monthFactor);
            String template = e.getKey().template();
            out.add(new Finding("big_system_prompt", groupOf(e.getValue()), null,
                    "a " + avgSystem + "-token system prompt carries " + avgUser + "-token questions: halve it (keep only"
                            + " the instructions these requests need, or split it by intent): −" + pct + "% input tokens, ≈ $"
                            + dollars(monthly) + "/month",
                    requests, pct, plain(saving), monthly,
                    evidence("system_prompt_template", template.length() > 200 ? template.substring(0, 200) + "…" : template,
                            "avg_system_tokens", avgSystem, "avg_question_tokens", avgUser, "input_tokens", input)));
        }
        return out;
    }

    private List<Finding> oversizedOutput(List<AuditedPrompt> rows, BigDecimal monthFactor) {
        Map<List<String>, List<AuditedPrompt>> groups = new LinkedHashMap<>();
        for (AuditedPrompt r : rows) {
            groups.computeIfAbsent(List.of(group(r), r.pricedModel() == null ? "" : r.pricedModel()), k -> new ArrayList<>()).add(r);
        }
        List<Finding> out = new ArrayList<>();
        for (var e : groups.entrySet()) {
            List<AuditedPrompt> g = e.getValue();
            if (g.size() < MIN_REQUESTS) continue;
            long[] outputs = g.stream().mapToLong(r -> r.usage().outputTokens()).sorted().toArray();
            long p90 = outputs[(int) Math.ceil(0.9 * outputs.length) - 1];
            long totalOutput = 0, removable = 0, loose = 0, affected = 0;
            BigDecimal saving = BigDecimal.ZERO;
            for (AuditedPrompt r : g) {
                long produced = r.usage().outputTokens();
                totalOutput += produced;
                long cap = r.prompt().maxTokens();
                if (cap >= 0 && cap <= 2 * p90) continue;
                loose++;
                if (produced <= p90) continue;
                Optional<Rates> rates = rates(r);
                if (rates.isEmpty()) continue;
                affected++;
                removable += produced - p90;
                saving = saving.add(weighted(r, perToken(rates.get().output()).multiply(BigDecimal.valueOf(produced - p90))));
            }
            if (removable == 0) continue;
            double pct = percent(removable, totalOutput);
            BigDecimal monthly = monthly(saving, monthFactor);
            out.add(new Finding("oversized_output", e.getKey().get(0), e.getKey().get(1),
                    "set max_tokens to " + p90 + " on " + e.getKey().get(0) + " with " + e.getKey().get(1) + " (90% of its answers fit; "
                            + loose + " of " + g.size() + " requests set none or over " + (2 * p90) + "): −" + pct
                            + "% output tokens, ≈ $" + dollars(monthly) + "/month",
                    affected, pct, plain(saving), monthly,
                    evidence("p90_output_tokens", p90, "loosely_capped_requests", loose, "output_tokens_removable", removable,
                            "output_tokens", totalOutput)));
        }
        return out;
    }

    // ---- helpers

    private String group(AuditedPrompt r) {
        String v = r.prompt().tags().get(groupTag);
        return groupTag + "=" + (v == null ? "(none)" : v);
    }

    private String groupOf(List<AuditedPrompt> rows) {
        String first = group(rows.get(0));
        return rows.stream().allMatch(r -> group(r).equals(first)) ? first : groupTag + "=(several)";
    }

    private Map<String, List<AuditedPrompt>> byGroup(List<AuditedPrompt> rows) {
        Map<String, List<AuditedPrompt>> out = new LinkedHashMap<>();
        for (AuditedPrompt r : rows) out.computeIfAbsent(group(r), g -> new ArrayList<>()).add(r);
        return out;
    }

    private static String lastUser(PromptRecord p) {
        for (int i = p.messages().size() - 1; i >= 0; i--) {
            if (p.messages().get(i).role().equals("user")) return p.messages().get(i).content();
        }
        return null;
    }

    private Optional<Rates> rates(AuditedPrompt r) {
        if (r.pricedModel() == null) return Optional.empty();
        return catalog.priceAt(r.pricedModel(), r.prompt().time()).map(p -> p.ratesFor(r.usage().inputTokens()));
    }

    private TokenCounter counter(String model) {
        return counters.computeIfAbsent(model == null ? "" : model, TokenCounter::forModel);
    }

    /**
     * What removing {@code removed} prompt tokens that start {@code offset} tokens into the prompt saves. Providers cache
     * a prompt's prefix, so of the removed tokens those within the request's cached input cost the cached rate.
     */
    static BigDecimal inputSaving(Rates rates, AuditedPrompt r, long offset, BigDecimal removed) {
        BigDecimal cachedLeft = BigDecimal.valueOf(Math.max(0, r.usage().cachedInputTokens() - offset));
        BigDecimal cached = removed.min(cachedLeft);
        return perToken(rates.cachedInput()).multiply(cached).add(perToken(rates.input()).multiply(removed.subtract(cached)));
    }

    private static BigDecimal perToken(BigDecimal perMillion) {
        return perMillion.divide(MILLION);
    }

    /** Scales what one logged request shows up to all the requests it stands for (1 / sample rate). */
    private static BigDecimal weighted(AuditedPrompt r, BigDecimal amount) {
        double rate = r.prompt().sampleRate();
        return rate >= 1.0 ? amount : amount.divide(BigDecimal.valueOf(rate), 12, RoundingMode.HALF_EVEN);
    }

    private static BigDecimal monthly(BigDecimal observed, BigDecimal monthFactor) {
        return plain(observed.multiply(monthFactor).setScale(6, RoundingMode.HALF_EVEN));
    }

    /** Without padding zeros and never in exponent form (30, not 3E+1). */
    static BigDecimal plain(BigDecimal v) {
        BigDecimal stripped = v.stripTrailingZeros();
        return stripped.scale() < 0 ? stripped.setScale(0) : stripped;
    }

    private static double percent(double part, double whole) {
        return whole <= 0 ? 0 : Math.round(1000.0 * part / whole) / 10.0;
    }

    /** "1,240.50": dollars with cents and thousands separators; under a dollar, to a hundredth of a cent. */
    public static String dollars(BigDecimal amount) {
        if (amount.compareTo(BigDecimal.ONE) < 0) return amount.setScale(4, RoundingMode.HALF_UP).toPlainString();
        return String.format(java.util.Locale.ROOT, "%,.2f", amount.setScale(2, RoundingMode.HALF_UP));
    }

    private static Map<String, Object> evidence(Object... pairs) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) out.put((String) pairs[i], pairs[i + 1]);
        return out;
    }
}
