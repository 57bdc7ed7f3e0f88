package dev.tollgate.gateway.shadow;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.audit.AuditEndpoint;
import dev.tollgate.store.ShadowAnswer;
import dev.tollgate.store.ShadowLog;
import dev.tollgate.gateway.http.ServerRequest;

import java.time.Instant;
import java.util.List;

/**
 * {@code GET /admin/shadow?route=NAME&since=3d}: the route's shadowed answers of the period, for
 * {@code tollgate eval --shadow} while the gateway holds the ledger file. Runs on the admin API's worker thread.
 */
public final class ShadowEndpoint {

    static final long AWAIT_CALLS_MS = 30_000;

    private ShadowEndpoint() {
    }

    public static ObjectNode answers(GatewayServices services, ServerRequest request) {
        String route = request.getParam("route");
        if (route == null || route.isBlank()) throw new IllegalArgumentException("route is required: the route whose shadow answers to list");
        Instant to = services.clock().instant();
        Instant from = to.minus(AuditEndpoint.since(request.getParam("since")));
        var group = services.router().group(route);
        if (group != null && group.shadow() != null) awaitCalls(group.shadow());
        ShadowRecorder recorder = services.observability().shadows();
        if (recorder != null) recorder.flush();
        ShadowLog log = recorder != null ? recorder.store() : services.ledger().unwrap().shadows();
        if (log == null) throw new IllegalArgumentException("this gateway's ledger keeps no shadow answers");
        ObjectNode body = Json.object().put("route", route).put("from", from.toString()).put("to", to.toString());
        if (group != null && group.shadow() != null) body.put("candidate", group.shadow().candidate().name());
        body.set("answers", json(log.answers(route, from, to)));
        return body;
    }

    /**
     * Waits (up to {@value #AWAIT_CALLS_MS} ms) for the route's shadow calls under way to end, so the answers of
     * requests already served are in what is read: the lane runs at a low priority and may be behind.
     */
    private static void awaitCalls(Shadow shadow) {
        long deadline = System.nanoTime() + AWAIT_CALLS_MS * 1_000_000L;
        try {
            while (shadow.inFlight() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static ArrayNode json(List<ShadowAnswer> answers) {
        ArrayNode out = Json.array();
        for (ShadowAnswer a : answers) {
            ObjectNode n = out.addObject();
            n.put("time", a.time().toString()).put("request_id", a.requestId()).put("route", a.route())
                    .put("candidate", a.candidate()).put("api", a.api()).put("prompt", a.prompt())
                    .put("production_model", a.productionModel()).put("production_answer", a.productionAnswer())
                    .put("production_cost_usd", a.productionCostUsd()).put("production_ms", a.productionMillis())
                    .put("candidate_answer", a.candidateAnswer()).put("candidate_cost_usd", a.candidateCostUsd())
                    .put("candidate_ms", a.candidateMillis()).put("candidate_error", a.candidateError());
        }
        return out;
    }
}
