package dev.tollgate.gateway.observe;

import dev.tollgate.gateway.audit.PromptRecorder;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.store.ObservedLedger;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What watches the gateway: Prometheus metrics and OpenTelemetry spans, both fed by the ledger stream, and the
 * opt-in prompt log of the prompt audit. Built once at start-up and shared by every event loop.
 *
 * @param metrics null when {@code metrics.enabled: false}
 * @param tracing null when no OTLP endpoint is configured
 * @param prompts null unless {@code prompt_log.enabled: true} (in the ledger's store: DuckDB or PostgreSQL)
 * @param shadows null unless a route has {@code shadow:} (in the ledger's store: DuckDB or PostgreSQL)
 */
public record Observability(ObserveConfig config, GatewayMetrics metrics, LedgerTracing tracing, PromptRecorder prompts,
                            dev.tollgate.gateway.shadow.ShadowRecorder shadows)
        implements AutoCloseable {

    /** Builds what the configuration asks for and subscribes it to the ledger stream. */
    public static Observability create(GatewayConfig config, ObservedLedger ledger, SpanExporter extraSpanExporter) {
        ObserveConfig observe = config.observe();
        GatewayMetrics metrics = observe.metrics().enabled() ? new GatewayMetrics(observe.metrics()) : null;
        Map<String, LedgerTracing.Upstream> upstreams = new LinkedHashMap<>();
        config.providers().forEach((name, p) -> upstreams.put(name, LedgerTracing.Upstream.of(p.type(), p.baseUrl())));
        LedgerTracing tracing = LedgerTracing.create(observe.telemetry(), upstreams, extraSpanExporter);
        if (metrics != null) {
            ledger.subscribe(metrics::record);
            metrics.bindLedger(ledger::health);
        }
        if (tracing != null) ledger.subscribe(tracing::record);
        PromptRecorder prompts = null;
        if (observe.promptLog().enabled()) {
            if (ledger.unwrap().prompts() != null) {
                prompts = new PromptRecorder(observe.promptLog(), ledger.unwrap().prompts());
            } else {
                LoggerFactory.getLogger(Observability.class).warn("prompt_log is enabled but this ledger keeps no prompt"
                        + " log; prompts are not recorded");
            }
        }
        dev.tollgate.gateway.shadow.ShadowRecorder shadows = null;
        if (config.routes().stream().anyMatch(r -> r.shadow() != null)) {
            if (ledger.unwrap().shadows() != null) {
                shadows = new dev.tollgate.gateway.shadow.ShadowRecorder(ledger.unwrap().shadows());
            } else {
                LoggerFactory.getLogger(Observability.class).warn("routes have shadow traffic but this ledger keeps no"
                        + " shadow answers; shadow calls are metered but their answers are not kept for eval --shadow");
            }
        }
        return new Observability(observe, metrics, tracing, prompts, shadows);
    }

    /** Sends the spans still pending and records the prompts still queued (before the ledger closes). */
    @Override
    public void close() {
        if (tracing != null) tracing.close();
        if (prompts != null) prompts.close();
        if (shadows != null) shadows.close();
    }
}
