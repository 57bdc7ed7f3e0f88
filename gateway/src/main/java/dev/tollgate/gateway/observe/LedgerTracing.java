package dev.tollgate.gateway.observe;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One OpenTelemetry span per ledger row, with the GenAI semantic conventions: it starts when the request arrived and
 * ends when its last byte left, named {@code "{operation} {model}"} (for example {@code "chat gpt-4o-mini"}).
 * Spans are built from the ledger stream rather than inside the request path, so tracing can never slow a request;
 * export runs on the SDK's batch thread. A client's W3C {@code traceparent} (noted by {@link TraceContextStage}) makes
 * the span a child in the client's trace.
 */
public final class LedgerTracing implements AutoCloseable {

    static final AttributeKey<String> COST = AttributeKey.stringKey("tollgate.cost_usd");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("tollgate.request_id");
    static final AttributeKey<String> KEY = AttributeKey.stringKey("tollgate.key");
    static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("tollgate.provider");
    static final AttributeKey<String> API = AttributeKey.stringKey("tollgate.api");
    static final AttributeKey<String> PRICE_VERSION = AttributeKey.stringKey("tollgate.price_version");
    static final AttributeKey<Boolean> ESTIMATED = AttributeKey.booleanKey("tollgate.usage_estimated");
    static final AttributeKey<Boolean> STREAM = AttributeKey.booleanKey("tollgate.stream");
    static final String TAG_PREFIX = "tollgate.tag.";

    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final Map<String, Upstream> upstreams;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final TraceParents parents = new TraceParents();
    private final ResponseNotes notes = new ResponseNotes();

    /**
     * A configured provider as spans name it.
     *
     * @param type "openai", "anthropic", "azure"
     * @param host its base URL's host ({@code server.address}), or null
     * @param port its base URL's port, or the scheme's (443, 80)
     */
    public record Upstream(String type, String host, int port) {

        /** The provider of {@code type} at {@code baseUrl} (null or unreadable: no address). */
        public static Upstream of(String type, String baseUrl) {
            try {
                URI uri = URI.create(baseUrl);
                int port = uri.getPort() != -1 ? uri.getPort() : "http".equalsIgnoreCase(uri.getScheme()) ? 80 : 443;
                return new Upstream(type, uri.getHost(), port);
            } catch (RuntimeException e) {
                return new Upstream(type, null, 0);
            }
        }
    }

    private LedgerTracing(SdkTracerProvider provider, Map<String, Upstream> upstreams) {
        this.provider = provider;
        this.tracer = provider.get("dev.tollgate.gateway", "0.1.0");
        this.upstreams = Map.copyOf(upstreams);
    }

    /**
     * Tracing for this configuration, or null when there is nowhere to send spans (no {@code otlp_endpoint} and no
     * {@code extraExporter}). {@code extraExporter} (tests, embedding) receives every span as soon as it ends.
     *
     * @param upstreams configured provider name → its type and address
     */
    public static LedgerTracing create(ObserveConfig.Telemetry config, Map<String, Upstream> upstreams,
                                       SpanExporter extraExporter) {
        if (config.otlpEndpoint() == null && extraExporter == null) return null;
        SdkTracerProviderBuilder builder = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(
                        Attributes.of(AttributeKey.stringKey("service.name"), config.serviceName()))));
        if (config.otlpEndpoint() != null) {
            String base = config.otlpEndpoint().endsWith("/") ? config.otlpEndpoint().substring(0, config.otlpEndpoint().length() - 1)
                    : config.otlpEndpoint();
            OtlpHttpSpanExporterBuilder otlp = OtlpHttpSpanExporter.builder().setEndpoint(base + "/v1/traces");
            config.headers().forEach(otlp::addHeader);
            builder.addSpanProcessor(BatchSpanProcessor.builder(otlp.build()).build());
        }
        if (extraExporter != null) builder.addSpanProcessor(SimpleSpanProcessor.create(extraExporter));
        return new LedgerTracing(builder.build(), upstreams);
    }

    /** Where the request path leaves the clients' trace contexts for the spans. */
    TraceParents parents() {
        return parents;
    }

    /** Where the request path leaves what the ledger row does not hold (max tokens, response id, finish reasons). */
    ResponseNotes notes() {
        return notes;
    }

    /** Emits the span of one ledger row. */
    public void record(LedgerEntry e) {
        String operation = GenAi.operation(e.api());
        String requestModel = e.requestedModel() != null ? e.requestedModel() : e.deployment();
        Instant start = e.time();
        Upstream upstream = upstreams.get(e.provider());
        Span span = tracer.spanBuilder(operation + " " + requestModel)
                .setParent(parents.take(e.requestId()))
                .setSpanKind(SpanKind.CLIENT)
                .setStartTimestamp(start)
                .setAttribute(GenAi.OPERATION_NAME, operation)
                .setAttribute(GenAi.PROVIDER_NAME, GenAi.provider(upstream == null ? null : upstream.type()))
                .startSpan();
        if (upstream != null && upstream.host() != null) {
            span.setAttribute(GenAi.SERVER_ADDRESS, upstream.host());
            span.setAttribute(GenAi.SERVER_PORT, (long) upstream.port());
        }
        ResponseNotes.Note note = notes.take(e.requestId());
        if (note != null) {
            if (note.maxTokens != null) span.setAttribute(GenAi.REQUEST_MAX_TOKENS, note.maxTokens);
            if (note.responseId() != null) span.setAttribute(GenAi.RESPONSE_ID, note.responseId());
            if (!note.finishReasons().isEmpty()) span.setAttribute(GenAi.RESPONSE_FINISH_REASONS, note.finishReasons());
        }
        Usage u = e.usage();
        span.setAttribute(GenAi.REQUEST_MODEL, requestModel);
        if (e.servedModel() != null) span.setAttribute(GenAi.RESPONSE_MODEL, e.servedModel());
        span.setAttribute(GenAi.INPUT_TOKENS, u.inputTokens());
        span.setAttribute(GenAi.OUTPUT_TOKENS, u.outputTokens());
        if (u.cachedInputTokens() > 0) span.setAttribute(GenAi.CACHE_READ_TOKENS, u.cachedInputTokens());
        if (u.cacheWriteTokens() > 0) span.setAttribute(GenAi.CACHE_CREATION_TOKENS, u.cacheWriteTokens());
        span.setAttribute(GenAi.HTTP_STATUS, (long) e.status());
        // exact decimal text: a double would not keep a price of $0.000000075 a token exactly
        span.setAttribute(COST, e.costUsd().signum() == 0 ? "0" : e.costUsd().stripTrailingZeros().toPlainString());
        span.setAttribute(REQUEST_ID, e.requestId());
        span.setAttribute(KEY, e.keyName());
        span.setAttribute(PROVIDER, e.provider());
        span.setAttribute(API, e.api());
        if (e.priceVersion() != null) span.setAttribute(PRICE_VERSION, e.priceVersion());
        span.setAttribute(STREAM, e.stream());
        if (e.estimated()) span.setAttribute(ESTIMATED, true);
        e.tags().forEach((k, v) -> span.setAttribute(TAG_PREFIX + k, v));
        if (e.status() >= 400 || e.error() != null) {
            span.setAttribute(GenAi.ERROR_TYPE, e.status() >= 400 ? String.valueOf(e.status()) : "_OTHER");
            span.setStatus(StatusCode.ERROR, e.error() == null ? "" : e.error());
        }
        span.end(start.plusNanos(e.latencyMicros() * 1000));
    }

    /** Exports what is pending and stops the exporters. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) provider.shutdown().join(10, TimeUnit.SECONDS);
    }
}
