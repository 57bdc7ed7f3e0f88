package dev.tollgate.gateway.audit;

import dev.tollgate.core.tokens.TokenCounter;
import dev.tollgate.gateway.observe.ObserveConfig;
import dev.tollgate.store.PromptLog;
import dev.tollgate.store.PromptRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records prompts for the audit. The event loop only hands over the extracted parts; redaction, token counting and
 * storage run on this recorder's own thread behind a bounded queue. When that queue is full the prompt is dropped and
 * counted: a prompt log is a sample and must never slow the request path.
 */
public final class PromptRecorder implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PromptRecorder.class);
    static final int QUEUE_CAPACITY = 8192;

    private final ObserveConfig.PromptLog config;
    private final PromptLog store;
    private final ThreadPoolExecutor worker;
    private final AtomicLong dropped = new AtomicLong();

    public PromptRecorder(ObserveConfig.PromptLog config, PromptLog store) {
        this.config = config;
        this.store = store;
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE_CAPACITY),
                r -> Thread.ofPlatform().name("tollgate-prompt-redactor").daemon(true).unstarted(r),
                (r, executor) -> dropped.incrementAndGet());
        worker.prestartAllCoreThreads(); // flush() queues its marker directly, so the thread must already run
    }

    public ObserveConfig.PromptLog config() {
        return config;
    }

    public PromptLog store() {
        return store;
    }

    /** Prompts not recorded because the recorder was behind. */
    public long droppedPrompts() {
        return dropped.get() + store.droppedPrompts();
    }

    /** Hands a request's prompt over for recording; returns at once. */
    public void capture(Instant time, String requestId, String keyName, Map<String, String> tags, String api, String model,
                        PromptParts parts) {
        try {
            worker.execute(() -> store.append(record(time, requestId, keyName, tags, api, model, parts, config.sampleRate())));
        } catch (RejectedExecutionException e) {
            dropped.incrementAndGet();
        }
    }

    /** Redacts the parts and splits the prompt's tokens into system, history and the last user message. */
    static PromptRecord record(Instant time, String requestId, String keyName, Map<String, String> tags, String api,
                               String model, PromptParts parts, double sampleRate) {
        TokenCounter counter = TokenCounter.forModel(model);
        String system = Redactor.redact(parts.system());
        List<PromptRecord.Message> messages = new ArrayList<>(parts.messages().size());
        int lastUser = -1;
        for (int i = 0; i < parts.messages().size(); i++) {
            PromptRecord.Message m = parts.messages().get(i);
            messages.add(new PromptRecord.Message(m.role(), Redactor.redact(m.content())));
            if (m.role().equals("user")) lastUser = i;
        }
        long history = 0, user = 0;
        for (int i = 0; i < messages.size(); i++) {
            int tokens = counter.count(messages.get(i).content());
            if (i == lastUser) user = tokens; else history += tokens;
        }
        return new PromptRecord(time, requestId, keyName, tags, api, model, system, messages, parts.maxTokens(),
                counter.count(system), history, user, sampleRate);
    }

    /** Waits until every prompt captured so far is in the store (off the event loop: it may wait for room). */
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
            log.warn("waiting for the prompt recorder failed: {}", e.toString());
        }
        store.flush();
    }

    @Override
    public void close() {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(10, TimeUnit.SECONDS)) log.warn("prompt recorder did not finish in 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
