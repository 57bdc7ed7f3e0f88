package dev.tollgate.gateway.audit;

import dev.tollgate.core.BackgroundPriority;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The hand-off from an event loop to a recorder (the prompt log, shadow answers): one thread of its own behind a
 * bounded queue. Handing over never waits: when the queue is full, or the task fails, what it would have recorded is
 * dropped and counted. A recorder keeps a sample and must never slow the request path.
 */
public final class RecorderThread implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RecorderThread.class);

    private final String name;
    private final ThreadPoolExecutor worker;
    private final AtomicLong dropped = new AtomicLong();

    /** {@code background}: the thread runs at a low CPU priority ({@link BackgroundPriority}). */
    public RecorderThread(String name, int capacity, boolean background) {
        this.name = name;
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(capacity),
                r -> Thread.ofPlatform().name(name).daemon(true).unstarted(background ? () -> {
                    BackgroundPriority.lowerCurrentThread();
                    r.run();
                } : r),
                (r, executor) -> dropped.incrementAndGet());
        worker.prestartAllCoreThreads(); // flush() queues its marker directly, so the thread must already run
    }

    /** Queues {@code task}; returns at once. */
    public void execute(Runnable task) {
        try {
            worker.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    dropped.incrementAndGet();
                    log.debug("{}: a record was not kept", name, e);
                }
            });
        } catch (RejectedExecutionException e) {
            dropped.incrementAndGet();
        }
    }

    /** Records dropped because the queue was full or recording failed. */
    public long dropped() {
        return dropped.get();
    }

    /** Waits until every task queued so far has run (off the event loop: it may wait for room). */
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
            log.warn("waiting for {} failed: {}", name, e.toString());
        }
    }

    /** Runs what is queued, then stops (waiting up to 10 s). */
    @Override
    public void close() {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(10, TimeUnit.SECONDS)) log.warn("{} did not finish in 10 s", name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
