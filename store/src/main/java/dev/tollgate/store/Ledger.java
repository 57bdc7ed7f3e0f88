package dev.tollgate.store;

import java.util.List;
import java.util.Optional;

/**
 * The record of every metered request. {@link #append} never blocks the request path: rows are queued and
 * written in batches by the implementation's own writer.
 */
public interface Ledger extends AutoCloseable {

    /** Queues a row for writing. Returns at once. */
    void append(LedgerEntry entry);

    /**
     * Queues a row, then runs {@code then} (a reply's last bytes going out). The plain ledger does no more; one with
     * observers ({@link ObservedLedger}) tells them only after {@code then}, since they watch rows and need not
     * hold up the answer.
     */
    default void append(LedgerEntry entry, Runnable then) {
        append(entry);
        then.run();
    }

    /** Blocks until every row appended before this call is durable. */
    void flush();

    /** Totals per group over a time range. Rows appended but not yet flushed may be missing. */
    List<SpendRow> spend(SpendQuery query);

    /** The latest rows, newest first. */
    List<LedgerEntry> recent(int limit);

    /** The row of one request, by the id the client got in {@code x-tollgate-request-id}. */
    Optional<LedgerEntry> find(String requestId);

    /**
     * Every attempt of one request (a route's retries and fallbacks, a cascade's escalations), first attempt first;
     * the client's shadow calls are not among them. Empty when the ledger has none.
     */
    default List<LedgerEntry> attempts(String requestId) {
        return find(requestId).map(List::of).orElse(List.of());
    }

    /**
     * Raw rows for an audit: those in the query's time range matching every filter, newest first, at most
     * {@code limit} (the query's grouping and bucket are ignored).
     */
    default List<LedgerEntry> audit(SpendQuery query, int limit) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not support audit queries");
    }

    /** Records whether a request or decision succeeded. Blocks until it is durable: never call it on an event loop. */
    default void recordOutcome(Outcome outcome) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not record outcomes");
    }

    /** Cost per successful outcome, grouped and filtered as {@code query} says (its bucket is ignored). */
    default List<OutcomeRow> outcomes(SpendQuery query) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not record outcomes");
    }

    /** The prompt log kept beside this ledger, opened on first use and closed with it; null when this store keeps none. */
    default PromptLog prompts() {
        return null;
    }

    /** Shadowed answers kept beside this ledger, opened on first use and closed with it; null when this store keeps none. */
    default ShadowLog shadows() {
        return null;
    }

    /** Whether every row is being recorded; see {@link LedgerHealth}. Cheap: safe to call on every request. */
    default LedgerHealth health() {
        return LedgerHealth.OK;
    }

    /** Flushes everything queued and releases the store. */
    @Override
    void close();
}
