package dev.tollgate.gateway.observe;

import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.stage.Stage;

/**
 * Notes the client's W3C {@code traceparent} so the request's span becomes a child in the client's trace. A plain
 * pass-through when tracing is off.
 */
public final class TraceContextStage implements Stage {

    private final TraceParents parents;

    private TraceContextStage(TraceParents parents) {
        this.parents = parents;
    }

    public static Stage of(Observability observability) {
        LedgerTracing tracing = observability.tracing();
        return tracing == null ? (exchange, sink, next) -> next.proceed(exchange, sink) : new TraceContextStage(tracing.parents());
    }

    @Override
    public void handle(Exchange exchange, ReplySink sink, Chain next) {
        String traceparent = exchange.requestHeaders().get("traceparent");
        if (traceparent != null) parents.remember(exchange.requestId(), traceparent, exchange.requestHeaders().get("tracestate"));
        next.proceed(exchange, sink);
    }
}
