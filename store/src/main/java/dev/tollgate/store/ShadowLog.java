package dev.tollgate.store;

import java.time.Instant;
import java.util.List;

/**
 * Where shadowed answers are kept for scoring, beside the ledger. {@link #append} never blocks; rows are written in
 * batches by the implementation's own thread, and dropped (counted) when it falls behind: shadow traffic is a sample.
 */
public interface ShadowLog {

    void append(ShadowAnswer answer);

    /** Blocks until every answer appended before the call is written. */
    void flush();

    /** The route's shadowed answers in {@code [from, to)} (either may be null), oldest first. */
    List<ShadowAnswer> answers(String route, Instant from, Instant to);

    /** Answers never written because the queue was full or the write failed. */
    long dropped();
}
