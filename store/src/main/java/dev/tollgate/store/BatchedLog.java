package dev.tollgate.store;

/**
 * A log of sampled rows kept beside the ledger (the prompt log, shadow answers), written off the request path by a
 * {@link BatchWriter}: what every store's log shares. A store supplies the batch's write and the queries.
 *
 * @param <T> the row
 */
public abstract class BatchedLog<T> implements AutoCloseable {

    private final BatchWriter<T> writer;

    /** {@code background}: the writer's thread runs at a low CPU priority (see {@link BatchWriter}). */
    protected BatchedLog(String what, int capacity, int maxBatch, boolean background) {
        // the writer calls write() only for rows appended once the subclass is built; the queue's hand-off publishes
        // its fields to the writer's thread
        this.writer = new BatchWriter<>(what, capacity, maxBatch, background, this::write);
    }

    /** Writes one batch in one transaction, on the writer's thread; throwing drops (and counts) the batch. */
    protected abstract void write(java.util.List<T> batch) throws Exception;

    /** Queues a row; returns at once (drops and counts it when the queue is full). */
    public void append(T row) {
        writer.append(row);
    }

    /** Blocks until every row appended before the call is written. */
    public void flush() {
        writer.flush();
    }

    /** Rows never written: the queue was full or their batch failed. */
    public long dropped() {
        return writer.dropped();
    }

    /** Writes what is queued and stops the writer. */
    @Override
    public void close() {
        writer.close();
    }
}
