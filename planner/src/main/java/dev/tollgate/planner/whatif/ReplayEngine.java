package dev.tollgate.planner.whatif;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.duckdb.LedgerScan;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Replays ledger rows (in time order when the policy has a cache) under a {@link ReplayPolicy}, like a cache simulator replays a trace: each
 * row's cost before is what the ledger recorded; after is the cost once each part of the policy has applied, priced
 * by the catalog entry in force on the row's day. Feed rows with {@link #accept}, then read {@link #result}.
 *
 * <p>The response cache needs to know when two requests asked the same thing. The ledger does not store prompts, so a
 * request counts as a repeat of an earlier one with the same virtual key, requested model, tags and prompt length
 * within the TTL: an approximation the output says out loud. Only successful answers are cached.
 *
 * <p>Not thread-safe; one replay per engine.
 */
public final class ReplayEngine implements Consumer<LedgerScan.Row> {

    public static final List<String> PARTS = List.of("routing", "response cache", "history trimming", "output cap", "self-hosting");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, String>> TAGS = new TypeReference<>() { };

    private final PriceCatalog catalog;
    private final ReplayPolicy policy;
    private final String scopeTag;
    private final String selfHostModel;

    private final Map<String, Map<String, String>> parsedTags = new HashMap<>();
    private final Map<String, PriceSlot> prices = new HashMap<>();
    /** Model name as the ledger spells it → the catalog's name (resolving parses the name; once per name). */
    private final Map<String, String> resolved = new HashMap<>();
    private final long[] routeMatches;
    /** Cache entries in insertion (= time) order, and the time each was stored. */
    private final ArrayDeque<CacheEntry> cacheOrder = new ArrayDeque<>();
    private final Map<CacheKey, Long> cache = new HashMap<>();
    private final long ttlMicros;

    private long rows, routed, cacheHits, trimmed, capped, selfHosted, unpriced;
    private BigDecimal before = BigDecimal.ZERO;
    private BigDecimal after = BigDecimal.ZERO;
    private final BigDecimal[] savings = new BigDecimal[PARTS.size()];
    /** Where a response cache hit is served from, in the per-model breakdown. */
    public static final String CACHE = "(response cache)";
    private final Map<String, Acc> byModel = new HashMap<>();
    private final Map<String, Acc> byScope = new HashMap<>();

    public ReplayEngine(PriceCatalog catalog, ReplayPolicy policy, String scopeTag) {
        this.catalog = catalog;
        this.policy = policy;
        this.scopeTag = scopeTag;
        for (Route r : policy.routes()) {
            if (catalog.resolve(r.toModel()).isEmpty()) {
                throw new IllegalArgumentException("route target '" + r.toModel() + "' has no price in the catalog");
            }
        }
        this.routeMatches = new long[policy.routes().size()];
        this.ttlMicros = policy.cacheTtl() == null ? 0 : policy.cacheTtl().toNanos() / 1000;
        this.selfHostModel = policy.selfHost() == null ? null
                : catalog.resolve(policy.selfHost().model()).orElse(policy.selfHost().model());
        java.util.Arrays.fill(savings, BigDecimal.ZERO);
    }

    private record CacheKey(String key, String model, String tags, long input) {
    }

    private record CacheEntry(CacheKey key, long micros) {
    }

    private static final class PriceSlot {
        long day = Long.MIN_VALUE;
        ModelPrice price;
    }

    private static final class Acc {
        long requests;
        long requestsAfter;
        BigDecimal before = BigDecimal.ZERO;
        BigDecimal after = BigDecimal.ZERO;
    }

    /** Whether rows must arrive in time order: only a cache simulation depends on it. */
    public boolean needsTimeOrder() {
        return ttlMicros > 0;
    }

    @Override
    public void accept(LedgerScan.Row row) {
        rows++;
        BigDecimal cost = row.costUsd() == null ? BigDecimal.ZERO : row.costUsd();
        BigDecimal original = cost;
        String model = row.servedModel();
        Usage usage = new Usage(row.inputTokens(), row.cachedInputTokens(), row.cacheWrite5mTokens(),
                row.cacheWrite1hTokens(), row.outputTokens(), row.reasoningTokens());
        boolean ok = row.status() < 400;

        // 1. routing
        for (int i = 0; i < routeMatches.length; i++) {
            Route r = policy.routes().get(i);
            if (!matches(r, row)) continue;
            long k = routeMatches[i]++;
            if (Math.floor((k + 1) * r.share()) > Math.floor(k * r.share())) {
                BigDecimal c = price(r.toModel(), row.epochMicros(), usage);
                if (c != null) {
                    cost = step(0, cost, c);
                    model = r.toModel();
                    routed++;
                }
            }
            break;
        }
        // 2. response cache: a repeat within the TTL costs nothing
        boolean hit = false;
        boolean ownGpus = false;
        if (ttlMicros > 0 && ok) {
            CacheKey key = new CacheKey(row.keyName(), row.requestedModel(), row.tags(), row.inputTokens());
            expire(row.epochMicros());
            if (cache.containsKey(key)) {
                cost = step(1, cost, BigDecimal.ZERO);
                cacheHits++;
                hit = true;
            } else {
                cache.put(key, row.epochMicros());
                cacheOrder.add(new CacheEntry(key, row.epochMicros()));
            }
        }
        if (!hit) {
            // 3. history trimming: the prompt keeps its newest maxInputTokens tokens
            long max = policy.maxInputTokens();
            if (max > 0 && usage.inputTokens() > max) {
                long cached = Math.min(usage.cachedInputTokens(), max);
                long w5 = Math.min(usage.cacheWrite5mTokens(), max - cached);
                long w1 = Math.min(usage.cacheWrite1hTokens(), max - cached - w5);
                usage = new Usage(max, cached, w5, w1, usage.outputTokens(), usage.reasoningTokens());
                BigDecimal c = price(model, row.epochMicros(), usage);
                if (c != null) {
                    cost = step(2, cost, c);
                    trimmed++;
                }
            }
            // 4. output cap
            long cap = policy.maxOutputTokens();
            if (cap > 0 && usage.outputTokens() > cap) {
                usage = new Usage(usage.inputTokens(), usage.cachedInputTokens(), usage.cacheWrite5mTokens(),
                        usage.cacheWrite1hTokens(), cap, Math.min(usage.reasoningTokens(), cap));
                BigDecimal c = price(model, row.epochMicros(), usage);
                if (c != null) {
                    cost = step(3, cost, c);
                    capped++;
                }
            }
            // 5. self-hosting
            if (selfHostModel != null && selfHostModel.equals(resolve(model))) {
                cost = step(4, cost, policy.selfHost().setup().costOf(usage.inputTokens(), usage.outputTokens()));
                selfHosted++;
                ownGpus = true;
            }
        }
        before = before.add(original);
        after = after.add(cost);
        String servedBefore = row.servedModel() == null ? "(none)" : row.servedModel();
        String servedAfter = hit ? CACHE : ownGpus ? model + " (self-hosted)" : model == null ? "(none)" : model;
        add(byModel, servedBefore, original, BigDecimal.ZERO, 1, 0);
        add(byModel, servedAfter, BigDecimal.ZERO, cost, 0, 1);
        if (scopeTag != null) add(byScope, scopeOf(row.tags()), original, cost, 1, 1);
    }

    private BigDecimal step(int part, BigDecimal from, BigDecimal to) {
        savings[part] = savings[part].add(from.subtract(to));
        return to;
    }

    private void expire(long now) {
        while (!cacheOrder.isEmpty() && now - cacheOrder.peekFirst().micros() > ttlMicros) {
            CacheEntry e = cacheOrder.pollFirst();
            cache.remove(e.key(), e.micros());
        }
    }

    private boolean matches(Route r, LedgerScan.Row row) {
        if (r.fromModel() != null && !r.fromModel().equals(row.servedModel())
                && !resolve(r.fromModel()).equals(resolve(row.servedModel()))) {
            return false;
        }
        if (r.tagKey() == null && r.unless().isEmpty()) return true;
        Map<String, String> tags = tags(row.tags());
        return (r.tagKey() == null || r.tagValue().equals(tags.get(r.tagKey()))) && !r.excludes(tags);
    }

    private String resolve(String model) {
        String name = model == null ? "" : model;
        return resolved.computeIfAbsent(name, m -> catalog.resolve(m).orElse(m));
    }

    private Map<String, String> tags(String json) {
        return parsedTags.computeIfAbsent(json == null ? "{}" : json, j -> {
            try {
                return JSON.readValue(j, TAGS);
            } catch (Exception e) {
                return Map.of();
            }
        });
    }

    private String scopeOf(String json) {
        String v = tags(json).get(scopeTag);
        return v == null ? "(none)" : v;
    }

    /** The catalog cost of a usage on a model at a time, or null (counted) when the model has no price then. */
    private BigDecimal price(String model, long micros, Usage usage) {
        long day = Math.floorDiv(micros, 86_400_000_000L);
        PriceSlot slot = prices.computeIfAbsent(model == null ? "" : model, k -> new PriceSlot());
        if (slot.day != day) {
            slot.day = day;
            slot.price = model == null ? null
                    : catalog.priceAt(model, Instant.ofEpochSecond(day * 86_400L)).orElse(null);
        }
        if (slot.price == null) {
            unpriced++;
            return null;
        }
        return slot.price.cost(usage).total();
    }

    private static void add(Map<String, Acc> map, String key, BigDecimal before, BigDecimal after, int requests, int requestsAfter) {
        Acc a = map.computeIfAbsent(key, k -> new Acc());
        a.requests += requests;
        a.requestsAfter += requestsAfter;
        a.before = a.before.add(before);
        a.after = a.after.add(after);
    }

    public ReplayResult result() {
        Map<String, BigDecimal> parts = new LinkedHashMap<>();
        for (int i = 0; i < PARTS.size(); i++) parts.put(PARTS.get(i), savings[i]);
        return new ReplayResult(rows, before, after, parts, sorted(byModel), sorted(byScope), routed, cacheHits,
                trimmed, capped, selfHosted, unpriced);
    }

    private static Map<String, ReplayResult.BeforeAfter> sorted(Map<String, Acc> map) {
        Map<String, ReplayResult.BeforeAfter> out = new LinkedHashMap<>();
        map.entrySet().stream().sorted((a, b) -> b.getValue().before.compareTo(a.getValue().before))
                .forEach(e -> out.put(e.getKey(), new ReplayResult.BeforeAfter(e.getValue().requests, e.getValue().before, e.getValue().after, e.getValue().requestsAfter)));
        return out;
    }
}
