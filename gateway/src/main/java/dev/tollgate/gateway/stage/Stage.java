package dev.tollgate.gateway.stage;

import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.ReplySink;

/**
 * One step of the request path, in the spirit of OkHttp's interceptors: it does its one job and then calls
 * {@code next}, or answers the sink itself (an error, a cached reply). Stages run on the request's event loop and
 * must not block.
 */
@FunctionalInterface
public interface Stage {

    void handle(Exchange exchange, ReplySink sink, Chain next);

    /** The rest of the request path. */
    @FunctionalInterface
    interface Chain {
        void proceed(Exchange exchange, ReplySink sink);
    }

    /** Links stages in order, ending at {@code last}. */
    static Chain chain(java.util.List<Stage> stages, Chain last) {
        Chain next = last;
        for (int i = stages.size() - 1; i >= 0; i--) {
            Stage stage = stages.get(i);
            Chain rest = next;
            next = (exchange, sink) -> stage.handle(exchange, sink, rest);
        }
        return next;
    }
}
