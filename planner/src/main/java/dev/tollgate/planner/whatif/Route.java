package dev.tollgate.planner.whatif;

/**
 * Sends a share of a class of requests to another model.
 *
 * @param fromModel requests served by this model (null: any model)
 * @param tagKey    with {@code tagValue}, only requests carrying this tag (null: any tags)
 * @param share     the share of matching requests moved, in (0, 1]; exactly this share, spread evenly over time
 */
public record Route(String fromModel, String tagKey, String tagValue, double share, String toModel) {

    public Route {
        if (share <= 0 || share > 1) throw new IllegalArgumentException("a route's share must be in (0, 1]");
        if (toModel == null || toModel.isBlank()) throw new IllegalArgumentException("a route needs a target model");
        if ((tagKey == null) != (tagValue == null)) throw new IllegalArgumentException("a route's tag needs both name and value");
    }

    /** Parses {@code [FROM][,TAG=VALUE][,share=S]->TO}, e.g. {@code gpt-4o,feature=autocomplete,share=0.5->gpt-4o-mini}. */
    public static Route parse(String spec) {
        int arrow = spec.indexOf("->");
        if (arrow < 0) throw new IllegalArgumentException("route '" + spec + "': expected [MODEL][,TAG=VALUE][,share=S]->TARGET");
        String to = spec.substring(arrow + 2).strip();
        String from = null;
        String key = null;
        String value = null;
        double share = 1;
        for (String part : spec.substring(0, arrow).split(",")) {
            part = part.strip();
            if (part.isEmpty()) continue;
            int eq = part.indexOf('=');
            if (eq < 0) {
                from = part;
            } else if (part.startsWith("share=")) {
                share = Double.parseDouble(part.substring(6));
            } else {
                key = part.substring(0, eq);
                value = part.substring(eq + 1);
            }
        }
        return new Route(from, key, value, share, to);
    }

    public String describe() {
        String who = (fromModel == null ? "any model" : fromModel) + (tagKey == null ? "" : " with " + tagKey + "=" + tagValue);
        return (share < 1 ? Math.round(share * 1000) / 10.0 + "% of " : "") + who + " -> " + toModel;
    }
}
