package dev.tollgate.gateway.tier;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.config.ConfigLoader.ConfigException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A tiered model as configured under {@code tiers:}: a model name clients ask for, served by the cheapest of several
 * tiers (each a model or route of this gateway) that the request's rules pick, with an optional cascade that escalates
 * an answer failing its checks to the next tier (see the README's "Tiers and cascades").
 *
 * @param name     what clients send as "model": a new name, or an existing model or route (which then becomes tiered)
 * @param ladder   the tiers, cheapest first; a cascade escalates up this list
 * @param rules    tried in order; the first that matches picks the tier
 * @param fallback the tier when no rule matches (default: the last, the flagship)
 * @param baseline the model or route {@code saved_usd} compares against (default: {@code name} when it is a model or
 *                 route of this gateway, else the last tier)
 * @param cascade  when a tier's answer is accepted, or escalated to the next tier
 * @param classifier picks the tier from the text when no rule matches (null: the default does)
 */
public record TierConfig(String name, List<Tier> ladder, List<Rule> rules, String fallback, String baseline,
                         Cascade cascade, Classifier classifier) {

    /** One tier: its name (stored as the tag {@code tier}) and the model or route that serves it. */
    public record Tier(String name, String model) {
    }

    /**
     * A rule: every condition it sets must hold (an empty rule always matches). Bounds are inclusive; -1 means unset.
     *
     * @param tags           tags the request must carry (the key's and {@code x-tollgate-tags})
     * @param key            the virtual key's name
     * @param minPromptTokens at least this many prompt tokens
     * @param maxPromptTokens at most this many
     * @param tools          whether the request offers tools (null: either)
     * @param responseFormat whether it asks for structured output: JSON or a JSON schema (null: either)
     * @param minMessages    at least this many messages in the conversation
     * @param maxMessages    at most this many
     */
    public record Rule(String tier, Map<String, String> tags, String key, long minPromptTokens, long maxPromptTokens,
                       Boolean tools, Boolean responseFormat, int minMessages, int maxMessages) {
        public Rule {
            tags = Map.copyOf(tags);
        }

        boolean usesPromptTokens() {
            return minPromptTokens >= 0 || maxPromptTokens >= 0;
        }
    }

    /**
     * The cascade's checks of a tier's answer.
     *
     * @param enabled    escalate answers that fail the checks (default false: the picked tier answers, as it is)
     * @param jsonSchema an answer to a request with a JSON schema must be valid JSON against it (default true)
     * @param pattern    the answer must contain a match (null: no such check)
     * @param minLength  the answer must have at least this many characters (default 0)
     * @param refusal    an answer that reads as a refusal ("I can't help with that") is escalated (default true)
     */
    public record Cascade(boolean enabled, boolean jsonSchema, Pattern pattern, int minLength, boolean refusal) {
        public static final Cascade OFF = new Cascade(false, true, null, 0, true);
    }

    /**
     * A classifier that picks the tier from the request's text when no rule matches: the last user message is embedded
     * through the gateway (metered under the request's key and tags) and the nearest centroid's label is the tier.
     *
     * @param file          the classifier {@code tollgate route train} wrote
     * @param minConfidence the least margin (nearest centroid's cosine similarity less the runner-up's) to act on;
     *                      below it the default tier serves (default 0: always act)
     * @param model         the classifier read from {@code file}; its labels are all tiers of the ladder
     */
    public record Classifier(String file, double minConfidence, CentroidClassifier model) {
    }

    private static final java.util.Set<String> CLASSIFIER_FIELDS = java.util.Set.of("file", "min_confidence");
    private static final java.util.Set<String> RULE_FIELDS = java.util.Set.of("tier", "tags", "key", "min_prompt_tokens",
            "max_prompt_tokens", "tools", "response_format", "min_messages", "max_messages");
    private static final java.util.Set<String> CASCADE_FIELDS = java.util.Set.of("enabled", "json_schema", "regex",
            "min_length", "refusal");

    /** Parses {@code tiers:}; a mistake is a {@link ConfigException} naming the key. Tier models are checked by {@link Tiers}. */
    public static List<TierConfig> parse(JsonNode tiers) {
        List<TierConfig> out = new ArrayList<>();
        if (tiers == null || tiers.isMissingNode() || tiers.isNull()) return out;
        if (!tiers.isArray()) throw new ConfigException("tiers must be a list");
        for (JsonNode t : tiers) {
            String name = text(t, "name");
            if (name == null) throw new ConfigException("every entry of tiers needs a name (the model clients ask for): " + t);
            String at = "tiers." + name;
            if (out.stream().anyMatch(o -> o.name().equals(name))) throw new ConfigException(at + " is configured twice");
            List<Tier> ladder = new ArrayList<>();
            for (JsonNode l : t.path("ladder")) {
                String tier = text(l, "name");
                String model = text(l, "model");
                if (tier == null || model == null) throw new ConfigException(at + ".ladder: every tier needs a name and a model: " + l);
                if (ladder.stream().anyMatch(o -> o.name().equals(tier))) throw new ConfigException(at + ".ladder: tier '" + tier + "' is listed twice");
                ladder.add(new Tier(tier, model));
            }
            if (ladder.isEmpty()) throw new ConfigException(at + ".ladder must list at least one tier ({name, model}), cheapest first");
            List<Rule> rules = new ArrayList<>();
            for (JsonNode r : t.path("rules")) rules.add(rule(r, at + ".rules", ladder));
            String fallback = text(t, "default");
            if (fallback == null) fallback = ladder.getLast().name();
            else tierIndex(ladder, fallback, at + ".default");
            out.add(new TierConfig(name, List.copyOf(ladder), List.copyOf(rules), fallback, text(t, "baseline"),
                    cascade(t.get("cascade"), at + ".cascade"), classifier(t.get("classifier"), at + ".classifier", ladder)));
        }
        return out;
    }

    private static Rule rule(JsonNode r, String at, List<Tier> ladder) {
        r.fieldNames().forEachRemaining(f -> {
            if (!RULE_FIELDS.contains(f)) throw new ConfigException(at + ": unknown condition '" + f + "'; one of " + RULE_FIELDS);
        });
        String tier = text(r, "tier");
        if (tier == null) throw new ConfigException(at + ": every rule needs the tier it picks: " + r);
        tierIndex(ladder, tier, at);
        Map<String, String> tags = new LinkedHashMap<>();
        r.path("tags").fields().forEachRemaining(e -> tags.put(e.getKey(), e.getValue().asText()));
        return new Rule(tier, tags, text(r, "key"), count(r, "min_prompt_tokens", at), count(r, "max_prompt_tokens", at),
                bool(r, "tools", at), bool(r, "response_format", at), (int) count(r, "min_messages", at),
                (int) count(r, "max_messages", at));
    }

    private static Cascade cascade(JsonNode c, String at) {
        if (c == null || c.isNull()) return Cascade.OFF;
        if (c.isBoolean()) return c.asBoolean() ? new Cascade(true, true, null, 0, true) : Cascade.OFF;
        c.fieldNames().forEachRemaining(f -> {
            if (!CASCADE_FIELDS.contains(f)) throw new ConfigException(at + ": unknown key '" + f + "'; one of " + CASCADE_FIELDS);
        });
        Pattern pattern = null;
        String regex = text(c, "regex");
        if (regex != null) {
            try {
                pattern = Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new ConfigException(at + ".regex is not a valid regular expression: " + e.getDescription());
            }
        }
        Boolean enabled = bool(c, "enabled", at);
        Boolean schema = bool(c, "json_schema", at);
        Boolean refusal = bool(c, "refusal", at);
        long min = count(c, "min_length", at);
        return new Cascade(enabled == null || enabled, schema == null || schema, pattern, (int) Math.max(0, min),
                refusal == null || refusal);
    }

    private static Classifier classifier(JsonNode c, String at, List<Tier> ladder) {
        if (c == null || c.isNull()) return null;
        if (!c.isObject()) throw new ConfigException(at + " must be a mapping of file and min_confidence");
        c.fieldNames().forEachRemaining(f -> {
            if (!CLASSIFIER_FIELDS.contains(f)) throw new ConfigException(at + ": unknown key '" + f + "'; one of " + CLASSIFIER_FIELDS);
        });
        String file = text(c, "file");
        if (file == null) throw new ConfigException(at + ".file is required: the file tollgate route train wrote");
        JsonNode min = c.get("min_confidence");
        if (min != null && !min.isNull() && (!min.isNumber() || min.asDouble() < 0 || min.asDouble() > 2)) {
            throw new ConfigException(at + ".min_confidence must be a number from 0 to 2 (a cosine-similarity margin), not " + min);
        }
        CentroidClassifier model;
        try {
            model = CentroidClassifier.read(java.nio.file.Path.of(file));
        } catch (java.io.IOException e) {
            throw new ConfigException(at + ".file: cannot read " + file + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(at + ".file: " + e.getMessage());
        }
        for (String label : model.labels()) {
            if (ladder.stream().noneMatch(t -> t.name().equals(label))) {
                throw new ConfigException(at + ".file: the classifier picks tier '" + label + "', which is not in the ladder "
                        + ladder.stream().map(Tier::name).toList() + "; train it with the tier names as labels");
            }
        }
        return new Classifier(file, min == null || min.isNull() ? 0 : min.asDouble(), model);
    }

    static int tierIndex(List<Tier> ladder, String tier, String at) {
        for (int i = 0; i < ladder.size(); i++) if (ladder.get(i).name().equals(tier)) return i;
        throw new ConfigException(at + ": tier '" + tier + "' is not in the ladder " + ladder.stream().map(Tier::name).toList());
    }

    private static long count(JsonNode n, String field, String at) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return -1;
        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 0 || v.asLong() > Integer.MAX_VALUE) {
            throw new ConfigException(at + "." + field + " must be a whole number >= 0, not " + v);
        }
        return v.asLong();
    }

    private static Boolean bool(JsonNode n, String field, String at) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isBoolean()) throw new ConfigException(at + "." + field + " must be true or false, not " + v);
        return v.asBoolean();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
