package dev.tollgate.planner.whatif;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sends a share of a class of requests to another model.
 *
 * @param fromModel requests served by this model (null: any model)
 * @param tagKey    with {@code tagValue}, only requests carrying this tag (null: any tags)
 * @param share     the share of matching requests moved, in (0, 1]; exactly this share, spread evenly over time
 * @param unless    requests carrying all the tags of any one of these sets are not matched (a value {@value #ANY_VALUE}:
 *                  the tag with any value), e.g. an eval's own calls; they neither move nor count towards the share
 */
public record Route(String fromModel, String tagKey, String tagValue, double share, String toModel, List<Map<String, String>> unless) {

    /** In {@link #unless}: the tag with whatever value. */
    public static final String ANY_VALUE = "*";

    public Route {
        if (share <= 0 || share > 1) throw new IllegalArgumentException("a route's share must be in (0, 1]");
        if (toModel == null || toModel.isBlank()) throw new IllegalArgumentException("a route needs a target model");
        if ((tagKey == null) != (tagValue == null)) throw new IllegalArgumentException("a route's tag needs both name and value");
        unless = unless == null ? List.of() : unless.stream().map(set -> Collections.unmodifiableMap(new LinkedHashMap<>(set))).toList(); // in the order given, for describe()
    }

    public Route(String fromModel, String tagKey, String tagValue, double share, String toModel) {
        this(fromModel, tagKey, tagValue, share, toModel, List.of());
    }

    /**
     * Parses {@code [FROM][,TAG=VALUE][,share=S][,!TAG=VALUE[&TAG=VALUE…]]…->TO}, e.g.
     * {@code gpt-4o,feature=autocomplete,share=0.5->gpt-4o-mini}; {@code !TAG=VALUE} leaves out the requests carrying
     * that tag (with {@code &}: all those tags), {@code !TAG} those carrying the tag with any value.
     */
    public static Route parse(String spec) {
        int arrow = spec.indexOf("->");
        if (arrow < 0) throw new IllegalArgumentException("route '" + spec + "': expected [MODEL][,TAG=VALUE][,share=S][,!TAG=VALUE]->TARGET");
        String to = spec.substring(arrow + 2).strip();
        String from = null;
        String key = null;
        String value = null;
        double share = 1;
        List<Map<String, String>> unless = new ArrayList<>();
        for (String part : spec.substring(0, arrow).split(",")) {
            part = part.strip();
            if (part.isEmpty()) continue;
            int eq = part.indexOf('=');
            if (part.startsWith("!")) {
                unless.add(excluded(spec, part.substring(1)));
            } else if (eq < 0) {
                from = part;
            } else if (part.startsWith("share=")) {
                share = Double.parseDouble(part.substring(6));
            } else {
                key = part.substring(0, eq);
                value = part.substring(eq + 1);
            }
        }
        return new Route(from, key, value, share, to, unless);
    }

    private static Map<String, String> excluded(String spec, String tags) {
        Map<String, String> set = new LinkedHashMap<>();
        for (String tag : tags.split("&")) {
            int eq = tag.indexOf('=');
            String name = (eq < 0 ? tag : tag.substring(0, eq)).strip();
            if (name.isEmpty()) throw new IllegalArgumentException("route '" + spec + "': '!' must be followed by TAG or TAG=VALUE");
            set.put(name, eq < 0 ? ANY_VALUE : tag.substring(eq + 1).strip());
        }
        return set;
    }

    /** Whether a request carrying {@code tags} is left out by {@link #unless}. */
    public boolean excludes(Map<String, String> tags) {
        for (Map<String, String> set : unless) {
            if (carriesAll(tags, set)) return true;
        }
        return false;
    }

    /** Runs once per ledger row of a replay: a plain loop, no stream. */
    private static boolean carriesAll(Map<String, String> tags, Map<String, String> set) {
        for (Map.Entry<String, String> e : set.entrySet()) {
            String value = tags.get(e.getKey());
            if (value == null || !(e.getValue().equals(ANY_VALUE) || e.getValue().equals(value))) return false;
        }
        return true;
    }

    public String describe() {
        String who = (fromModel == null ? "any model" : fromModel) + (tagKey == null ? "" : " with " + tagKey + "=" + tagValue);
        if (!unless.isEmpty()) {
            who += " except " + String.join(" or ", unless.stream().map(set -> String.join(" and ", set.entrySet().stream()
                    .map(e -> e.getValue().equals(ANY_VALUE) ? e.getKey() + "=*" : e.getKey() + "=" + e.getValue()).toList())).toList());
        }
        return (share < 1 ? Math.round(share * 1000) / 10.0 + "% of " : "") + who + " -> " + toModel;
    }
}
