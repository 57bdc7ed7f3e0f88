package dev.tollgate.gateway.audit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.stage.Stage;
import dev.tollgate.gateway.tier.AnswerChecks;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Hands the prompt of each request in the prompt log's scope (its tags, its sample rate) to the
 * {@link PromptRecorder} with the answer's text once it has ended, and passes the request and its reply on unchanged. Runs after routing so the tags are known; the work
 * it does on the event loop is a walk over the already-parsed body.
 */
public final class PromptLogStage implements Stage {

    private static final Logger log = LoggerFactory.getLogger(PromptLogStage.class);

    /** Answers longer than this are logged without their text. */
    static final int MAX_ANSWER_BYTES = 256 * 1024;

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
                    next.proceed(exchange, new Answered(sink, exchange, parts));
                    return;
                }
            } catch (RuntimeException e) {
                // a body the audit cannot read is still a request to serve: the prompt log is never in its way
                log.debug("prompt of request {} not logged", exchange.requestId(), e);
            }
        }
        next.proceed(exchange, sink);
    }

    /**
     * Holds a copy of the answer as it passes (up to {@link #MAX_ANSWER_BYTES}) and records the prompt with the
     * answer's text once it has ended: the reference {@code tollgate eval --prompt-log} scores candidates against. An
     * answer a cascade threw away is not logged (the attempt that stands is); a failed call is logged without one.
     */
    private final class Answered extends ReplySink.Forwarding {
        private final Exchange exchange;
        private final PromptParts parts;
        private Buffer body = Buffer.buffer();
        private int status;

        Answered(ReplySink next, Exchange exchange, PromptParts parts) {
            super(next);
            this.exchange = exchange;
            this.parts = parts;
        }

        @Override
        public void start(int status, MultiMap headers) {
            this.status = status;
            next.start(status, headers);
        }

        @Override
        public void data(Buffer chunk) {
            if (body != null) {
                if (body.length() + chunk.length() > MAX_ANSWER_BYTES) body = null; // too long to keep: logged without it
                else body.appendBuffer(chunk);
            }
            next.data(chunk);
        }

        @Override
        public void end() {
            if (exchange.attemptReason() == null) capture(answer());
            next.end();
        }

        @Override
        public void fail(GatewayError error) {
            if (exchange.attemptReason() == null) capture(null);
            next.fail(error);
        }

        private String answer() {
            if (body == null || status < 200 || status >= 300) return null;
            try {
                if (exchange.stream()) return AnswerChecks.streamText(exchange.api(), body.toString());
                JsonNode answer = Json.tree(body);
                return answer.isObject() ? AnswerChecks.text(exchange.api(), answer) : null;
            } catch (RuntimeException e) {
                log.debug("answer of request {} not readable for the prompt log", exchange.requestId(), e);
                return null;
            }
        }

        private void capture(String answer) {
            recorder.capture(exchange.arrivedAt(), exchange.requestId(), exchange.principal().keyName(), exchange.tags(),
                    exchange.api().ledgerName(), exchange.requestedModel(), parts, answer);
        }
    }

    private boolean sampled() {
        double rate = recorder.config().sampleRate();
        return rate >= 1.0 || ThreadLocalRandom.current().nextDouble() < rate;
    }
}
