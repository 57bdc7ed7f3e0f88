package dev.tollgate.store;

import dev.tollgate.core.BackgroundPriority;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes sampled rows (the prompt log, shadow answers) off the request path: {@link #append} offers a row to a bounded
 * queue and returns; one thread drains it in batches of at most {@code maxBatch} rows or {@value #MAX_DELAY_MS} ms
 * and hands each batch to the store's {@link Sink}. The thread wakes once per batch, not per row: while a batch is
 * open it sleeps until the batch's deadline, a full batch or a {@link #flush}. A full queue or a batch that fails is dropped and counted, never
 * retried: these rows are a sample, and nobody waits for them but {@link #flush}.
 *
 * @param <T> the row
 */
public final class BatchWriter<T> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BatchWriter.class);
    static final long MAX_DELAY_MS = 200;

    /** Writes one batch, in one transaction, on the writer's thread. */
    @FunctionalInterface
    public interface Sink<T> {
        void write(List<T> batch) throws Exception;
    }

    /** Thrown by a {@link Sink} that refuses a batch for a known reason (a nearly full disk): logged without a trace. */
    public static final class Refused extends RuntimeException {
        public Refused(String reason) {
            super(reason);
        }
    }

    private record Marker(CountDownLatch done, boolean stop) {
    }

    private final String what;
    private final int maxBatch;
    private final long maxDelayNanos;
    private final Sink<T> sink;
    private final BlockingQueue<Object> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopped;

    /**
     * Starts the writer thread.
     *
     * @param what     the rows in words ("prompts", "shadow answers"), for the thread's name and the log
     * @param capacity   rows the queue holds before {@link #append} drops
     * @param background whether the thread runs at a low CPU priority ({@link BackgroundPriority}): rows of work that
     *                   must never compete with the clients' (shadow answers)
     */
    public BatchWriter(String what, int capacity, int maxBatch, boolean background, Sink<T> sink) {
        this(what, capacity, maxBatch, Duration.ofMillis(MAX_DELAY_MS), background, sink);
    }

    /** As above, with a batch's longest wait for more rows ({@code maxDelay}) other than {@value #MAX_DELAY_MS} ms. */
    BatchWriter(String what, int capacity, int maxBatch, Duration maxDelay, boolean background, Sink<T> sink) {
        this.what = what;
        this.maxBatch = maxBatch;
        this.maxDelayNanos = maxDelay.toNanos();
        this.sink = sink;
        this.queue = new LinkedBlockingQueue<>(capacity);
        this.thread = Thread.ofPlatform().name("tollgate-" + what.replace(' ', '-') + "-writer").daemon(true).start(background ? () -> {
            BackgroundPriority.lowerCurrentThread();
            run();
        } : this::run);
    }

    /** Queues a row; returns at once (drops and counts it when the queue is full or the writer stopped). */
    public void append(T row) {
        if (stopped || !queue.offer(row)) dropped.incrementAndGet();
        else if (queue.size() >= maxBatch) LockSupport.unpark(thread);
    }

    /** Blocks until every row appended before the call is written (or dropped). */
    public void flush() {
        if (!stopped) await(send(false));
    }

    /** Rows never written: the queue was full, the writer had stopped, or their batch failed. */
    public long dropped() {
        return dropped.get();
    }

    /** Writes what is queued and stops the thread (waits up to 10 s); the sink's resources stay the caller's. */
    @Override
    public void close() {
        if (stopped) return;
        stopped = true;
        if (thread.isAlive()) await(send(true));
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Marker send(boolean stop) {
        Marker m = new Marker(new CountDownLatch(1), stop);
        try {
            queue.put(m);
            LockSupport.unpark(thread);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the " + what + " writer", e);
        }
        return m;
    }

    private void await(Marker m) {
        try {
            while (!m.done().await(1, TimeUnit.SECONDS)) {
                if (!thread.isAlive()) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @SuppressWarnings("unchecked")
    private void run() {
        List<T> batch = new ArrayList<>(maxBatch);
        List<Object> drained = new ArrayList<>(maxBatch);
        try {
            long deadline = 0;
            while (true) {
                if (batch.isEmpty()) {
                    // idle: the first row (or a marker) wakes the thread and opens a batch
                    Object first = queue.poll(maxDelayNanos, TimeUnit.NANOSECONDS);
                    if (first != null) drained.add(first);
                } else {
                    // a batch is open: rows that come before its deadline do not wake the thread, one wake-up per
                    // batch rather than per row (append wakes it for a full batch, flush and close for their marker)
                    long wait = deadline - System.nanoTime();
                    if (wait > 0 && queue.size() < maxBatch) LockSupport.parkNanos(this, wait);
                    if (Thread.interrupted()) throw new InterruptedException();
                }
                queue.drainTo(drained, maxBatch - drained.size());
                for (Object item : drained) {
                    if (item instanceof Marker m) {
                        write(batch);
                        m.done().countDown();
                        if (m.stop()) return;
                    } else {
                        if (batch.isEmpty()) deadline = System.nanoTime() + maxDelayNanos;
                        batch.add((T) item);
                        if (batch.size() >= maxBatch) write(batch);
                    }
                }
                drained.clear();
                if (!batch.isEmpty() && System.nanoTime() - deadline >= 0) write(batch);
            }
        } catch (InterruptedException e) {
            log.warn("{} writer interrupted; {} {} were not written", what, queue.size() + batch.size(), what);
        } catch (Throwable t) {
            log.error("{} writer died; {} {} were not written", what, queue.size() + batch.size(), what, t);
        } finally {
            stopped = true;
            List<Object> rest = new ArrayList<>();
            queue.drainTo(rest);
            rest.forEach(o -> {
                if (o instanceof Marker m) m.done().countDown(); else dropped.incrementAndGet();
            });
        }
    }

    private void write(List<T> batch) {
        if (batch.isEmpty()) return;
        try {
            sink.write(batch);
        } catch (Refused e) {
            dropped.addAndGet(batch.size());
            log.warn("{} {} dropped: {}", batch.size(), what, e.getMessage());
        } catch (Exception e) {
            dropped.addAndGet(batch.size());
            log.error("writing {} {} failed; they are dropped", batch.size(), what, e);
        }
        batch.clear();
    }
}
