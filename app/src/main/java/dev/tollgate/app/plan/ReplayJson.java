package dev.tollgate.app.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.planner.whatif.ReplayPolicy;
import dev.tollgate.planner.whatif.ReplayResult;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A what-if replay's result as JSON (the answer of {@code POST /admin/plan/whatif}) and back, exact: amounts are
 * decimal numbers, never rounded, so the CLI prints from a gateway's answer the same table it prints from the file.
 */
final class ReplayJson {

    private ReplayJson() {
    }

    static ObjectNode write(ReplayResult r, ReplayPolicy policy, Duration took) {
        ObjectNode n = WhatIfOptions.JSON.createObjectNode();
        ArrayNode describe = n.putArray("policy");
        policy.describe().forEach(describe::add);
        n.put("rows", r.rows());
        n.put("before_usd", r.before()).put("after_usd", r.after()).put("saving_usd", r.saving());
        ObjectNode parts = n.putObject("saving_by_part");
        r.savingByPart().forEach(parts::put);
        n.put("routed", r.routed()).put("cache_hits", r.cacheHits()).put("trimmed", r.trimmed()).put("capped", r.capped())
                .put("self_hosted", r.selfHosted()).put("unpriced", r.unpriced());
        breakdown(n.putObject("by_model"), r.byModel());
        breakdown(n.putObject("by_scope"), r.byScope());
        n.put("took_ms", took.toMillis());
        return n;
    }

    private static void breakdown(ObjectNode out, Map<String, ReplayResult.BeforeAfter> rows) {
        rows.forEach((k, v) -> out.putObject(k).put("requests", v.requests()).put("requests_after", v.requestsAfter()).put("before_usd", v.before())
                .put("after_usd", v.after()).put("saving_usd", v.saving()));
    }

    static ReplayResult read(JsonNode n) {
        Map<String, BigDecimal> parts = new LinkedHashMap<>();
        n.path("saving_by_part").properties().forEach(e -> parts.put(e.getKey(), e.getValue().decimalValue()));
        return new ReplayResult(n.path("rows").asLong(), n.path("before_usd").decimalValue(), n.path("after_usd").decimalValue(), parts,
                breakdown(n.path("by_model")), breakdown(n.path("by_scope")), n.path("routed").asLong(), n.path("cache_hits").asLong(),
                n.path("trimmed").asLong(), n.path("capped").asLong(), n.path("self_hosted").asLong(), n.path("unpriced").asLong());
    }

    private static Map<String, ReplayResult.BeforeAfter> breakdown(JsonNode node) {
        Map<String, ReplayResult.BeforeAfter> out = new LinkedHashMap<>();
        node.properties().forEach(e -> out.put(e.getKey(), new ReplayResult.BeforeAfter(e.getValue().path("requests").asLong(),
                e.getValue().path("before_usd").decimalValue(), e.getValue().path("after_usd").decimalValue(),
                e.getValue().path("requests_after").asLong(e.getValue().path("requests").asLong()))));
        return out;
    }
}
