package dev.tollgate.gateway.audit;

import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.stage.Stage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Hands the prompt of each request in the prompt log's scope (its tags, its sample rate) to the
 * {@link PromptRecorder}, then passes the request on unchanged. Runs after routing so the tags are known; the work
 * it does on the event loop is a walk over the already-parsed body.
 */
public final class PromptLogStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger(PromptLogStage.class);

    private final PromptRecorder recorder;

    public PromptLogStage(PromptRecorder recorder) {
        this.recorder = recorder;
    }

    /** The stage for this recorder; a plain pass-through when prompt logging is off (null). */
    public static Stage of(PromptRecorder recorder) {
        return recorder == null ? (exchange, sink, next) -> next.proceed(exchange, sink) : new PromptLogStage(recorder);
    }

    @Override
    public void handle(Exchange exchange, ReplySink sink, Chain next) {
        if (recorder.config().covers(exchange.tags()) && sampled()) {
            try {
                PromptParts parts = PromptParts.of(exchange.api(), exchange.body());
                if (parts != null) {
                    recorder.capture(exchange.arrivedAt(), exchange.requestId(), exchange.principal().keyName(), exchange.tags(),
                            exchange.api().ledgerName(), exchange.requestedModel(), parts);
                }
            } catch (RuntimeException e) {
                // a body the audit cannot read is still a request to serve: the prompt log is never in its way
                log.debug("prompt of request {} not logged", exchange.requestId(), e);
            }
        }
        next.proceed(exchange, sink);
    }

    private boolean sampled() {
        double rate = recorder.config().sampleRate();
        return rate >= 1.0 || ThreadLocalRandom.current().nextDouble() < rate;
    }
}
