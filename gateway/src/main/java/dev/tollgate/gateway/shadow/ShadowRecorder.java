package dev.tollgate.gateway.shadow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.audit.PromptParts;
import dev.tollgate.gateway.audit.Redactor;
import dev.tollgate.gateway.tier.AnswerChecks;
import dev.tollgate.store.PromptRecord;
import dev.tollgate.store.ShadowAnswer;
import dev.tollgate.store.ShadowLog;
import io.vertx.core.buffer.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps shadowed answers for scoring. The event loop hands over the raw bytes of both answers; reading their text,
 * redacting it (as the prompt log does, {@link Redactor}) and storing it run on this recorder's own thread behind a
 * bounded queue. A full queue drops the answer and counts it: shadow traffic is a sample.
 */
public final class ShadowRecorder implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ShadowRecorder.class);
    static final int QUEUE_CAPACITY = 4096;

    /** One shadowed request as the event loop saw it, before its texts are read and redacted. */
    record Pair(Instant time, String requestId, String route, String candidate, Api api, JsonNode request,
                String productionModel, boolean productionStream, Buffer production, BigDecimal productionCostUsd,
                long productionMillis, Buffer candidateAnswer, BigDecimal candidateCostUsd, long candidateMillis,
                String candidateError) {
    }

    private final ShadowLog store;
    private final ThreadPoolExecutor worker;
    private final AtomicLong dropped = new AtomicLong();

    public ShadowRecorder(ShadowLog store) {
        this.store = store;
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE_CAPACITY),
                r -> Thread.ofPlatform().name("tollgate-shadow-redactor").daemon(true).unstarted(r),
                (r, executor) -> dropped.incrementAndGet());
        worker.prestartAllCoreThreads();
    }

    public ShadowLog store() {
        return store;
    }

    /** Answers not kept because the recorder or the store was behind. */
    public long dropped() {
        return dropped.get() + store.dropped();
    }

    void record(Pair pair) {
        try {
            worker.execute(() -> {
                try {
                    store.append(answer(pair));
                } catch (RuntimeException e) {
                    dropped.incrementAndGet();
                    log.debug("shadow answer of request {} not kept", pair.requestId(), e);
                }
            });
        } catch (RejectedExecutionException e) {
            dropped.incrementAndGet();
        }
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
        FutureTask<Void> marker = new FutureTask<>(() -> null);
        try {
            if (!worker.isShutdown()) {
                worker.getQueue().put(marker);
                marker.get(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("waiting for the shadow recorder failed: {}", e.toString());
        }
        store.flush();
    }

    @Override
    public void close() {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(10, TimeUnit.SECONDS)) log.warn("shadow recorder did not finish in 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
