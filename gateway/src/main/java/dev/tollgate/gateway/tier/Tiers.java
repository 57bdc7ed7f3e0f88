package dev.tollgate.gateway.tier;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.tokens.TokenCounter;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.config.ConfigLoader.ConfigException;
import dev.tollgate.gateway.route.Route;
import dev.tollgate.gateway.route.RouteGroup;
import dev.tollgate.gateway.translate.PromptTokens;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** The tiered models of the gateway ({@code tiers:}), resolved against its models and routes. Thread-safe, immutable. */
public final class Tiers {

    public static final String TAG = "tier";
    public static final Tiers NONE = new Tiers(Map.of());

    /** A tiered model: its rules, and each tier's route (and route group, when the tier names a route). */
    public static final class Tiered {
        private final TierConfig config;
        private final TierRules rules;
        private final Route[] routes;
        private final RouteGroup[] groups;
        private final Route baseline;
        private final Choice[] choices;
        private final Counter[] escalations;
        private final Counter[] accepted;
        private final int[] classifierTiers;
        /** Per tier, the last tags it was added to and the result: a key's tags are one map, request after request. */
        private final Tagged[] lastTagged;

        Tiered(TierConfig config, Route[] routes, RouteGroup[] groups, Route baseline) {
            this.config = config;
            this.rules = new TierRules(config);
            this.routes = routes;
            this.groups = groups;
            this.baseline = baseline;
            this.choices = new Choice[routes.length];
            for (int i = 0; i < routes.length; i++) choices[i] = new Choice(this, i);
            this.escalations = new Counter[routes.length];
            this.accepted = new Counter[routes.length];
            this.lastTagged = new Tagged[routes.length];
            TierConfig.Classifier classifier = config.classifier();
            this.classifierTiers = classifier == null ? null : classifier.model().labels().stream()
                    .mapToInt(l -> TierConfig.tierIndex(config.ladder(), l, "tiers." + config.name() + ".classifier")).toArray();
        }

        /** The classifier that picks the tier when no rule matches, or null. */
        public TierConfig.Classifier classifier() { return config.classifier(); }

        /**
         * The tier the classifier picks for a text's embedding: the nearest centroid's, or the default when it is
         * less sure than {@code min_confidence}.
         */
        public Choice classified(float[] embedding) {
            TierConfig.Classifier c = config.classifier();
            CentroidClassifier.Prediction p = c.model().classify(embedding);
            return choices[p.margin() >= c.minConfidence() ? classifierTiers[p.label()] : rules.fallback()];
        }

        public TierConfig config() { return config; }
        public TierRules rules() { return rules; }
        public String name() { return config.name(); }
        public int size() { return routes.length; }
        public Choice choice(int index) { return choices[index]; }

        /** What {@code saved_usd} compares against: the model asked for, or the flagship. */
        public Route baseline() { return baseline; }

        /**
         * {@link Tiers#tagged} for tier {@code index}, made again only for a map of tags other than the last one (a
         * request's tags are never changed in place: a stage that changes them sets a new map).
         */
        Map<String, String> tagged(int index, Map<String, String> tags) {
            Tagged last = lastTagged[index]; // a record of finals: another event loop's write is seen whole, or not at all
            if (last == null || last.tags() != tags) lastTagged[index] = last = new Tagged(tags, Tiers.tagged(tags, config.ladder().get(index).name()));
            return last.tagged();
        }

        /** Counts a cascade's verdict on an answer of tier {@code index} (when metrics are on). */
        public void counted(int index, boolean escalated) {
            Counter c = escalated ? escalations[index] : accepted[index];
            if (c != null) c.increment();
        }
    }

    /** The tier a request goes to: the tiered model and the index of the tier in its ladder. */
    public record Choice(Tiered model, int index) {
        public String name() { return model.config.ladder().get(index).name(); }
        public Route route() { return model.routes[index]; }
        /** The request's tags with {@code tier} set to this tier. */
        public Map<String, String> tagged(Map<String, String> tags) { return model.tagged(index, tags); }
        public RouteGroup group() { return model.groups[index]; }
        /** The next tier up the ladder, or null at the top. */
        public Choice next() { return index + 1 < model.size() ? model.choice(index + 1) : null; }
    }

    private final Map<String, Tiered> byName;

    private Tiers(Map<String, Tiered> byName) {
        this.byName = byName;
    }

    /**
     * Resolves every tier against the gateway's models and routes ({@code route} and {@code group} as the router
     * answers them); a tier naming neither, or another tiered model, is a {@link ConfigException}.
     */
    public static Tiers of(List<TierConfig> configs, Function<String, Route> route, Function<String, RouteGroup> group) {
        if (configs.isEmpty()) return NONE;
        Map<String, Tiered> map = new LinkedHashMap<>();
        for (TierConfig c : configs) {
            Route[] routes = new Route[c.ladder().size()];
            RouteGroup[] groups = new RouteGroup[routes.length];
            for (int i = 0; i < routes.length; i++) {
                String model = c.ladder().get(i).model();
                routes[i] = route.apply(model);
                if (routes[i] == null) {
                    throw new ConfigException("tiers." + c.name() + ": tier '" + c.ladder().get(i).name() + "' names '" + model
                            + "', which is neither a model nor a route of this gateway");
                }
                groups[i] = group.apply(model);
            }
            Route baseline;
            if (c.baseline() != null) {
                baseline = route.apply(c.baseline());
                if (baseline == null) throw new ConfigException("tiers." + c.name() + ".baseline names '" + c.baseline() + "', which is neither a model nor a route of this gateway");
            } else {
                Route asked = route.apply(c.name());
                baseline = asked != null ? asked : routes[routes.length - 1];
            }
            map.put(c.name(), new Tiered(c, routes, groups, baseline));
        }
        return new Tiers(java.util.Collections.unmodifiableMap(map));
    }

    /** The tiered model of that name, or null. */
    public Tiered get(String model) {
        return byName.isEmpty() || model == null ? null : byName.get(model);
    }

    /** Every tiered model, in configuration order. */
    public java.util.Collection<Tiered> all() {
        return byName.values();
    }

    public boolean isEmpty() {
        return byName.isEmpty();
    }

    /** Registers {@code tollgate_cascade_escalations_total} and {@code tollgate_cascade_accepted_total}, per tiered model and tier. */
    public void bind(MeterRegistry registry) {
        for (Tiered t : byName.values()) {
            if (!t.config.cascade().enabled()) continue;
            for (int i = 0; i < t.size() - 1; i++) { // the top tier's answer is never judged
                String tier = t.config.ladder().get(i).name();
                t.escalations[i] = Counter.builder("tollgate_cascade_escalations_total")
                        .description("Answers of a cheaper tier that failed the cascade's checks and went to the next tier")
                        .tags("model", t.name(), "tier", tier).register(registry);
                t.accepted[i] = Counter.builder("tollgate_cascade_accepted_total")
                        .description("Answers of a cheaper tier that passed the cascade's checks")
                        .tags("model", t.name(), "tier", tier).register(registry);
            }
        }
    }

    /** Picks the tier of a request to {@code tiered}: what the request is, by the rules. */
    public static Choice choose(Tiered tiered, Exchange exchange) {
        return tiered.choice(tiered.rules.decide(facts(tiered, exchange)));
    }

    /**
     * The tier the first matching rule picks; when none matches, the default, or null when the tiered model has a
     * classifier to ask instead.
     */
    public static Choice byRules(Tiered tiered, Exchange exchange) {
        int matched = tiered.rules.match(facts(tiered, exchange));
        if (matched >= 0) return tiered.choice(matched);
        return tiered.classifier() == null ? tiered.choice(tiered.rules.fallback()) : null;
    }

    static TierRules.Facts facts(Tiered tiered, Exchange exchange) {
        JsonNode body = exchange.body();
        long prompt = -1;
        if (tiered.rules.needsPromptTokens()) {
            // a prompt never has more tokens than its body has bytes: a body shorter than every threshold needs no
            // count; otherwise it is counted as the cheapest tier's model would count it (rules are written in its tokens)
            long bound = exchange.outgoingBody().length();
            prompt = bound < tiered.rules.firstThreshold() ? bound
                    : PromptTokens.count(exchange.api(), body, TokenCounter.forModel(tiered.routes[0].model()));
        }
        JsonNode tools = body.get("tools");
        return new TierRules.Facts(exchange.tags(), exchange.principal().keyName(), prompt,
                tools != null && tools.isArray() && !tools.isEmpty(), StructuredOutput.requested(exchange.api(), body),
                messages(exchange.api(), body));
    }

    private static int messages(Api api, JsonNode body) {
        JsonNode list = api == Api.OPENAI_RESPONSES ? body.get("input") : body.get("messages");
        if (list == null || list.isNull()) return api == Api.OPENAI_COMPLETIONS && body.has("prompt") ? 1 : 0;
        return list.isArray() ? list.size() : 1;
    }

    private record Tagged(Map<String, String> tags, Map<String, String> tagged) {
    }

    /**
     * The request's tags with {@code tier} set to {@code tier}, as an immutable map: every row and record of the request
     * keeps it as it is rather than copying it.
     */
    static Map<String, String> tagged(Map<String, String> tags, String tier) {
        Map<String, String> with = new HashMap<>(tags);
        with.put(TAG, tier);
        return Map.copyOf(with);
    }
}
