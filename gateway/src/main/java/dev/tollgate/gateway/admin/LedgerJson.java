package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Json;
import dev.tollgate.store.LedgerEntry;

/** A ledger row as the admin API shows it. */
public final class LedgerJson {

    private LedgerJson() {
    }

    public static ObjectNode of(LedgerEntry e) {
        ObjectNode r = Json.object();
        r.put("time", e.time().toString());
        r.put("request_id", e.requestId());
        r.put("key", e.keyName());
        ObjectNode tags = r.putObject("tags");
        e.tags().forEach(tags::put);
        r.put("api", e.api());
        r.put("provider", e.provider());
        r.put("deployment", e.deployment());
        r.put("requested_model", e.requestedModel());
        r.put("served_model", e.servedModel());
        Usage u = e.usage();
        r.put("input_tokens", u.inputTokens());
        r.put("cached_input_tokens", u.cachedInputTokens());
        r.put("cache_write_5m_tokens", u.cacheWrite5mTokens());
        r.put("cache_write_1h_tokens", u.cacheWrite1hTokens());
        r.put("output_tokens", u.outputTokens());
        r.put("reasoning_tokens", u.reasoningTokens());
        r.put("cost_usd", e.costUsd());
        r.put("price_version", e.priceVersion());
        r.put("status", e.status());
        r.put("error", e.error());
        r.put("latency_ms", e.latencyMicros() / 1000.0);
        r.put("ttft_ms", e.ttftMicros() < 0 ? null : e.ttftMicros() / 1000.0);
        r.put("stream", e.stream());
        r.put("estimated", e.estimated());
        r.put("cache", e.cache());
        r.put("saved_usd", e.savedUsd());
        r.put("unpriced", e.unpriced());
        if (e.attempt() != null) {
            r.put("attempt", e.attempt().number());
            r.put("attempt_reason", e.attempt().reason());
            r.put("upstream_model", e.attempt().upstreamModel());
        }
        return r;
    }
}
