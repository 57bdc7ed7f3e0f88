package dev.tollgate.store;

import java.time.Instant;
import java.util.List;

/**
 * The opt-in prompt log: redacted prompts of sampled requests, kept beside the ledger for the prompt audit.
 * {@link #append} never blocks; rows are written in batches by the implementation's own thread.
 */
public interface PromptLog {

    /** Queues a prompt for writing; returns at once (drops and counts it when the queue is full). */
    void append(PromptRecord prompt);

    /** Blocks until every prompt appended before the call is written. */
    void flush();

    /**
     * Logged prompts of successful requests in {@code [from, to)} (either may be null) joined with their ledger
     * rows, oldest first, at most {@code limit}.
     */
    List<AuditedPrompt> audited(Instant from, Instant to, int limit);

    /**
     * Up to {@code n} logged prompts of successful requests in {@code [from, to)} (either may be null) that have their
     * answer, drawn at random but the same for the same {@code seed} and rows: the task set of
     * {@code tollgate eval --prompt-log}. Prompts carrying every tag of any one set of {@code excluding} (an eval's own
     * calls) are left out; no set leaves none out.
     */
    List<AuditedPrompt> sample(Instant from, Instant to, int n, long seed, List<java.util.Map<String, String>> excluding);

    /** Prompts never written because the queue was full. */
    long droppedPrompts();
}
