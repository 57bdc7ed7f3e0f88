package dev.tollgate.app.eval;

import dev.tollgate.app.plan.PlanWhatIf;
import dev.tollgate.planner.whatif.ReplayResult;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What switching a route to the cheapest passing model would have saved over the last days of real traffic: the
 * planner's what-if replay of the ledger with the route's requests moved to the candidate (repriced at the prices in
 * force when each ran), against what they cost. Real traffic only: the eval's own calls ({@link GatewayCaller#ownCalls})
 * and shadow calls (tag {@code shadow}) are left out of the move.
 *
 * @param requests  requests of the route in the period (moved in the replay)
 * @param savingUsd what they cost as recorded minus what they would have cost on {@code to}
 * @param unpriced  requests the catalog could not price on {@code to} (kept at their recorded cost)
 */
public record Savings(String route, String to, int days, long requests, BigDecimal savingUsd, long unpriced) {

    static Savings replay(dev.tollgate.app.LedgerSource ledger, Path dataDir, String gatewayUrl, String adminToken, String route, String to,
                          String evalTags, int days, Instant now) throws Exception {
        Instant from = now.minus(Duration.ofDays(days));
        ReplayResult r = PlanWhatIf.replayRoutes(ledger, dataDir, gatewayUrl, adminToken, List.of(spec(route, evalTags, to)), from, now);
        return new Savings(route, to, days, r.routed(), r.saving(), r.unpriced());
    }

    /**
     * The what-if route moving {@code route}'s real traffic to {@code to}, e.g.
     * {@code gpt-4o,!feature=eval,!tollgate=eval,!shadow->gpt-4o-mini}.
     */
    static String spec(String route, String evalTags, String to) {
        StringBuilder spec = new StringBuilder(route);
        for (String set : GatewayCaller.ownCalls(evalTags)) spec.append(",!").append(set.replaceAll("\\s*,\\s*", "&"));
        return spec.append(",!shadow->").append(to).toString();
    }
}
