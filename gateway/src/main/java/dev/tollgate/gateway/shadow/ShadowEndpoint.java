package dev.tollgate.gateway.shadow;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.audit.AuditEndpoint;
import dev.tollgate.store.ShadowAnswer;
import dev.tollgate.store.ShadowLog;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.gateway.http.ServerRequest;

import java.time.Instant;
import java.util.List;

/**
 * {@code GET /admin/shadow?route=NAME&since=3d}: the route's shadowed answers of the period, for
 * {@code tollgate eval --shadow} while the gateway holds the ledger file. Runs on the admin API's worker thread.
 */
public final class ShadowEndpoint {

    private ShadowEndpoint() {
    }

    public static ObjectNode answers(GatewayServices services, ServerRequest request) {
        String route = request.getParam("route");
        if (route == null || route.isBlank()) throw new IllegalArgumentException("route is required: the route whose shadow answers to list");
        Instant to = services.clock().instant();
        Instant from = to.minus(AuditEndpoint.since(request.getParam("since")));
        ShadowRecorder recorder = services.observability().shadows();
        if (recorder != null) recorder.flush();
        ShadowLog log = recorder != null ? recorder.store()
                : services.ledger().unwrap() instanceof DuckDbLedger duck ? duck.shadows() : null;
        if (log == null) throw new IllegalArgumentException("shadow answers are kept only in the embedded DuckDB ledger");
        ObjectNode body = Json.object().put("route", route).put("from", from.toString()).put("to", to.toString());
        var group = services.router().group(route);
        if (group != null && group.shadow() != null) body.put("candidate", group.shadow().candidate().name());
        body.set("answers", json(log.answers(route, from, to)));
        return body;
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
