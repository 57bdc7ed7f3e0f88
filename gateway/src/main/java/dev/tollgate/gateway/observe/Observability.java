package dev.tollgate.gateway.observe;

import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.store.ObservedLedger;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What watches the gateway from outside the request path: Prometheus metrics and OpenTelemetry spans, both fed by
 * the ledger stream. Built once at start-up and shared by every event loop.
 *
 * @param metrics null when {@code metrics.enabled: false}
 * @param tracing null when no OTLP endpoint is configured
 */
public record Observability(ObserveConfig config, GatewayMetrics metrics, LedgerTracing tracing) implements AutoCloseable {

    /** Builds what the configuration asks for and subscribes it to the ledger stream. */
    public static Observability create(GatewayConfig config, ObservedLedger ledger, SpanExporter extraSpanExporter) {
        ObserveConfig observe = config.observe();
        GatewayMetrics metrics = observe.metrics().enabled() ? new GatewayMetrics(observe.metrics()) : null;
        Map<String, String> providerTypes = new LinkedHashMap<>();
        config.providers().forEach((name, p) -> providerTypes.put(name, p.type()));
        LedgerTracing tracing = LedgerTracing.create(observe.telemetry(), providerTypes, extraSpanExporter);
        if (metrics != null) ledger.subscribe(metrics::record);
        if (tracing != null) ledger.subscribe(tracing::record);
        return new Observability(observe, metrics, tracing);
    }

    /** Sends the spans still pending. */
    @Override
    public void close() {
        if (tracing != null) tracing.close();
    }
}
