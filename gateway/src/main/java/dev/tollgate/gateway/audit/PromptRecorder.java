package dev.tollgate.gateway.audit;

import dev.tollgate.core.tokens.TokenCounter;
import dev.tollgate.gateway.observe.ObserveConfig;
import dev.tollgate.store.PromptLog;
import dev.tollgate.store.PromptRecord;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Records prompts for the audit. The event loop only hands over the extracted parts; redaction, token counting and
 * storage run on this recorder's own thread behind a bounded queue ({@link RecorderThread}). When that queue is full
 * the prompt is dropped and counted: a prompt log is a sample and must never slow the request path.
 */
public final class PromptRecorder implements AutoCloseable {

    static final int QUEUE_CAPACITY = 8192;

    private final ObserveConfig.PromptLog config;
    private final PromptLog store;
    private final RecorderThread worker = new RecorderThread("tollgate-prompt-redactor", QUEUE_CAPACITY, false);
    /** Only the worker thread touches it. */
    private final TextCache cache = new TextCache(4096);

    public PromptRecorder(ObserveConfig.PromptLog config, PromptLog store) {
        this.config = config;
        this.store = store;
    }

    public ObserveConfig.PromptLog config() {
        return config;
    }

    public PromptLog store() {
        return store;
    }

    /** Prompts not recorded because the recorder was behind. */
    public long droppedPrompts() {
        return worker.dropped() + store.droppedPrompts();
    }

    /** Hands a request's prompt over for recording; returns at once. */
    public void capture(Instant time, String requestId, String keyName, Map<String, String> tags, String api, String model,
                        PromptParts parts) {
        capture(time, requestId, keyName, tags, api, model, parts, null);
    }

    /** Hands a request's prompt and the answer's text (or null) over for recording, both redacted; returns at once. */
    public void capture(Instant time, String requestId, String keyName, Map<String, String> tags, String api, String model,
                        PromptParts parts, String answer) {
        worker.execute(() -> store.append(withAnswer(record(time, requestId, keyName, tags, api, model, parts, config.sampleRate(), cache),
                answer == null ? null : Redactor.redact(answer))));
    }

    private static PromptRecord withAnswer(PromptRecord p, String answer) {
        return answer == null ? p : new PromptRecord(p.time(), p.requestId(), p.keyName(), p.tags(), p.api(), p.model(), p.systemPrompt(),
                p.messages(), p.maxTokens(), p.systemTokens(), p.historyTokens(), p.userTokens(), p.sampleRate(), answer);
    }

    /** Redacts the parts and splits the prompt's tokens into system, history and the last user message. */
    static PromptRecord record(Instant time, String requestId, String keyName, Map<String, String> tags, String api,
                               String model, PromptParts parts, double sampleRate) {
        return record(time, requestId, keyName, tags, api, model, parts, sampleRate, new TextCache(16));
    }

    private static PromptRecord record(Instant time, String requestId, String keyName, Map<String, String> tags, String api,
                                       String model, PromptParts parts, double sampleRate, TextCache cache) {
        TokenCounter counter = TokenCounter.forModel(model);
        TextCache.Redacted system = parts.system() == null ? null : cache.get(model, parts.system(), counter);
        List<PromptRecord.Message> messages = new ArrayList<>(parts.messages().size());
        int lastUser = -1;
        long[] tokens = new long[parts.messages().size()];
        for (int i = 0; i < parts.messages().size(); i++) {
            PromptRecord.Message m = parts.messages().get(i);
            TextCache.Redacted e = cache.get(model, m.content(), counter);
            messages.add(new PromptRecord.Message(m.role(), e.redacted()));
            tokens[i] = e.tokens();
            if (m.role().equals("user")) lastUser = i;
        }
        long history = 0, user = 0;
        for (int i = 0; i < tokens.length; i++) {
            if (i == lastUser) user = tokens[i]; else history += tokens[i];
        }
        return new PromptRecord(time, requestId, keyName, tags, api, model, system == null ? null : system.redacted(),
                messages, parts.maxTokens(), system == null ? 0 : system.tokens(), history, user, sampleRate);
    }

    /**
     * Redacted texts and their token counts, most recently used kept. A conversation resends its whole history every
     * turn, and many requests share a system prompt, so most texts were seen a moment ago. Used by one thread.
     */
    static final class TextCache {
        record Redacted(String redacted, int tokens) {
        }

        private record Key(String model, String text) {
        }

        private final Map<Key, Redacted> entries;

        TextCache(int capacity) {
            entries = new java.util.LinkedHashMap<>(Math.min(capacity, 1024), 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Key, Redacted> eldest) {
                    return size() > capacity;
                }
            };
        }

        Redacted get(String model, String text, TokenCounter counter) {
            return entries.computeIfAbsent(new Key(model, text), k -> {
                String redacted = Redactor.redact(text);
                return new Redacted(redacted, counter.count(redacted));
            });
        }
    }

    /** Waits until every prompt captured so far is in the store (off the event loop: it may wait for room). */
    public void flush() {
        worker.flush();
        store.flush();
    }

    @Override
    public void close() {
        worker.close();
    }
}
