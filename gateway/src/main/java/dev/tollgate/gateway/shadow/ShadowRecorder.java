package dev.tollgate.gateway.shadow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.audit.PromptParts;
import dev.tollgate.gateway.audit.RecorderThread;
import dev.tollgate.gateway.audit.Redactor;
import dev.tollgate.gateway.tier.AnswerChecks;
import dev.tollgate.store.PromptRecord;
import dev.tollgate.store.ShadowAnswer;
import dev.tollgate.store.ShadowLog;
import io.vertx.core.buffer.Buffer;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;

/**
 * Keeps shadowed answers for scoring. The shadow lane hands over the raw bytes of both answers; reading their text,
 * redacting it (as the prompt log does, {@link Redactor}) and storing it run on this recorder's own thread behind a
 * bounded queue ({@link RecorderThread}), at a low CPU priority as the lane is, in batches ({@link #LULL}). A full queue drops the answer and
 * counts it: shadow traffic is a sample.
 */
public final class ShadowRecorder implements AutoCloseable {

    static final int QUEUE_CAPACITY = 4096;
    /**
     * How long the recorder rests between batches: the lane hands pairs over without waking it, so it wakes some 20
     * times a second rather than once per shadow call (at 2,000 calls a second, 100 pairs a turn of 4,096 room).
     */
    static final Duration LULL = Duration.ofMillis(50);

    /** One shadowed request as the event loop saw it, before its texts are read and redacted. */
    record Pair(Instant time, String requestId, String route, String candidate, Api api, JsonNode request,
                String productionModel, boolean productionStream, Buffer production, BigDecimal productionCostUsd,
                long productionMillis, Buffer candidateAnswer, BigDecimal candidateCostUsd, long candidateMillis,
                String candidateError) {
    }

    private final ShadowLog store;
    private final RecorderThread worker = new RecorderThread("shadow-redactor", QUEUE_CAPACITY, true, LULL);

    public ShadowRecorder(ShadowLog store) {
        this.store = store;
    }

    public ShadowLog store() {
        return store;
    }

    /** Answers not kept because the recorder or the store was behind. */
    public long dropped() {
        return worker.dropped() + store.dropped();
    }

    void record(Pair pair) {
        worker.execute(() -> store.append(answer(pair)));
    }

    /** The pair's texts, read and redacted. */
    static ShadowAnswer answer(Pair p) {
        String production = p.productionStream() ? AnswerChecks.streamText(p.api(), p.production().toString())
                : AnswerChecks.text(p.api(), Json.tree(p.production()));
        String candidate = p.candidateAnswer() == null ? null : AnswerChecks.text(p.api(), Json.tree(p.candidateAnswer()));
        String error = p.candidateError();
        if (candidate == null && error == null) error = "the candidate's answer has no text";
        return new ShadowAnswer(p.time(), p.requestId(), p.route(), p.candidate(), p.api().ledgerName(),
                redacted(lastUserMessage(p)), p.productionModel(), redacted(production), p.productionCostUsd(),
                p.productionMillis(), redacted(candidate), p.candidateCostUsd(), p.candidateMillis(), error);
    }

    private static String lastUserMessage(Pair p) {
        PromptParts parts = PromptParts.of(p.api(), p.request());
        if (parts == null) return null;
        String last = null;
        for (PromptRecord.Message m : parts.messages()) if (m.role().equals("user")) last = m.content();
        return last;
    }

    private static String redacted(String text) {
        return text == null ? null : Redactor.redact(text);
    }

    /** Waits until every answer recorded so far is in the store (off the event loop). */
    public void flush() {
        worker.flush();
        store.flush();
    }

    @Override
    public void close() {
        worker.close();
    }
}
