package dev.tollgate.gateway.observe;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The W3C trace context ({@code traceparent}, {@code tracestate}) a client sent, kept by request id until the
 * request's ledger row becomes a span, so that the gateway's span joins the client's trace. Bounded: a request that
 * never reaches the ledger (answered before metering) is forgotten once {@value #CAPACITY} newer ones are kept.
 */
final class TraceParents {

    static final int CAPACITY = 65_536;

    private record Headers(String traceparent, String tracestate) {
    }

    private static final TextMapGetter<Headers> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers carrier) {
            return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(Headers carrier, String key) {
            if (carrier == null) return null;
            return key.equals("traceparent") ? carrier.traceparent() : key.equals("tracestate") ? carrier.tracestate() : null;
        }
    };

    private final Map<String, Headers> byRequest = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Headers> eldest) {
            return size() > CAPACITY;
        }
    };

    void remember(String requestId, String traceparent, String tracestate) {
        synchronized (byRequest) {
            byRequest.put(requestId, new Headers(traceparent, tracestate));
        }
    }

    /** The client's context for this request (forgetting it), or the root context when it sent none or an invalid one. */
    Context take(String requestId) {
        Headers headers;
        synchronized (byRequest) {
            if (byRequest.isEmpty()) return Context.root();
            headers = byRequest.remove(requestId);
        }
        if (headers == null) return Context.root();
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, GETTER);
    }
}
