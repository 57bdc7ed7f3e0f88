package dev.tollgate.planner.whatif;

import dev.tollgate.planner.gpu.BuildVsBuy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A changed policy to replay history under. Its parts apply to each request in this order: routing, response
 * cache, history trimming, output cap, self-hosting; each part's saving is what it removes from the cost the
 * earlier parts left. The first route a request matches decides whether it moves.
 *
 * @param cacheTtl        a response cache keeping answers this long; null for none
 * @param maxInputTokens  prompts trimmed to this many tokens (older history dropped); 0 for no trimming
 * @param maxOutputTokens answers capped at this many tokens; 0 for no cap
 * @param selfHost        a model moved to your own GPUs; null for none
 */
public record ReplayPolicy(List<Route> routes, Duration cacheTtl, long maxInputTokens, long maxOutputTokens,
                           SelfHost selfHost) {

    /** Requests served by {@code model} run on GPUs priced by {@code setup} (their own token counts, its batch and utilization). */
    public record SelfHost(String model, BuildVsBuy setup) {
    }

    public ReplayPolicy {
        routes = List.copyOf(routes);
        if (maxInputTokens < 0 || maxOutputTokens < 0) throw new IllegalArgumentException("token caps cannot be negative");
        if (cacheTtl != null && (cacheTtl.isNegative() || cacheTtl.isZero())) throw new IllegalArgumentException("cache TTL must be positive");
    }

    public boolean changesNothing() {
        return routes.isEmpty() && cacheTtl == null && maxInputTokens == 0 && maxOutputTokens == 0 && selfHost == null;
    }

    public List<String> describe() {
        List<String> out = new ArrayList<>();
        routes.forEach(r -> out.add("route " + r.describe()));
        if (cacheTtl != null) out.add("response cache, TTL " + cacheTtl.toString().substring(2).toLowerCase());
        if (maxInputTokens > 0) out.add("prompts trimmed to " + maxInputTokens + " tokens");
        if (maxOutputTokens > 0) out.add("output capped at " + maxOutputTokens + " tokens");
        if (selfHost != null) out.add(selfHost.model() + " self-hosted on " + selfHost.setup().replica().gpus() + "x "
                + selfHost.setup().replica().gpu().name() + " (" + selfHost.setup().replica().model().name() + ")");
        return out;
    }
}
