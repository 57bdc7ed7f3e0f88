package dev.tollgate.gateway.observe;

import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.stage.Stage;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;

/**
 * Notes what the request's span needs beyond its ledger row: the client's W3C {@code traceparent} (so the span becomes
 * a child in the client's trace), the request's output-token cap, and the response id and finish reasons as the reply
 * passes. A plain pass-through when tracing is off.
 */
public final class TraceContextStage implements Stage {

    private final TraceParents parents;
    private final ResponseNotes notes;

    private TraceContextStage(TraceParents parents, ResponseNotes notes) {
        this.parents = parents;
        this.notes = notes;
    }

    public static Stage of(Observability observability) {
        LedgerTracing tracing = observability.tracing();
        return tracing == null ? (exchange, sink, next) -> next.proceed(exchange, sink) : new TraceContextStage(tracing.parents(), tracing.notes());
    }

    @Override
    public void handle(Exchange exchange, ReplySink sink, Chain next) {
        String traceparent = exchange.requestHeaders().get("traceparent");
        if (traceparent != null) parents.remember(exchange.requestId(), traceparent, exchange.requestHeaders().get("tracestate"));
        ResponseNotes.Note note = notes.open(exchange.requestId(), exchange.body());
        next.proceed(exchange, new ReplySink.Forwarding(sink) {
            @Override
            public void data(Buffer chunk) {
                note.read(chunk.toString(StandardCharsets.UTF_8));
                next.data(chunk);
            }
        });
    }
}
