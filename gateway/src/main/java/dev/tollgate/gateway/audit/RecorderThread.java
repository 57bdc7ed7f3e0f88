package dev.tollgate.gateway.audit;

import dev.tollgate.core.BackgroundPriority;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The hand-off from an event loop to a recorder (the prompt log, shadow answers): one thread of its own behind a
 * bounded queue. Handing over never waits: when the queue is full, or the task fails, what it would have recorded is
 * dropped and counted. A recorder keeps a sample and must never slow the request path.
 *
 * <p>With a {@code lull}, the thread rests that long after running what was queued, and tasks handed over meanwhile
 * queue without waking it: they run together at its next turn, one wake-up (two context switches, and the waking
 * thread's futex call) per batch instead of per task. {@link #flush} and {@link #close} cut the rest short.
 */
public final class RecorderThread implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RecorderThread.class);
    private static final Runnable STOP = () -> { };

    private final String name;
    private final long lullNanos;
    private final BlockingQueue<Runnable> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;

    /** A recorder that wakes for each task. {@code background}: the thread runs at a low CPU priority ({@link BackgroundPriority}). */
    public RecorderThread(String name, int capacity, boolean background) {
        this(name, capacity, background, Duration.ZERO);
    }

    /**
     * {@code background}: the thread runs at a low CPU priority ({@link BackgroundPriority}); {@code lull}: how long
     * it rests after each batch (tasks wait up to that long before they run).
     */
    public RecorderThread(String name, int capacity, boolean background, Duration lull) {
        this.name = name;
        this.lullNanos = lull.toNanos();
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = Thread.ofPlatform().name(name).daemon(true).start(background ? () -> {
            BackgroundPriority.lowerCurrentThread();
            run();
        } : this::run);
    }

    /** Queues {@code task}; returns at once. */
    public void execute(Runnable task) {
        if (closed || !queue.offer(task)) dropped.incrementAndGet();
    }

    /** Records dropped because the queue was full or recording failed. */
    public long dropped() {
        return dropped.get();
    }

    /** Waits until every task queued so far has run (off the event loop: it may wait for room). */
    public void flush() {
        if (closed) return;
        CountDownLatch done = new CountDownLatch(1);
        try {
            queue.put(done::countDown);
            LockSupport.unpark(thread);
            while (!done.await(1, TimeUnit.SECONDS)) {
                if (!thread.isAlive()) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs what is queued, then stops (waiting up to 10 s). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            queue.put(STOP);
            LockSupport.unpark(thread);
            thread.join(TimeUnit.SECONDS.toMillis(10));
            if (thread.isAlive()) log.warn("{} did not finish in 10 s", name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            while (true) {
                Runnable task = queue.take();
                do {
                    if (task == STOP) return;
                    runOne(task);
                } while ((task = queue.poll()) != null);
                if (lullNanos > 0) LockSupport.parkNanos(this, lullNanos);
            }
        } catch (InterruptedException e) {
            log.warn("{} interrupted; {} records were not kept", name, queue.size());
        }
    }

    private void runOne(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            dropped.incrementAndGet();
            log.debug("{}: a record was not kept", name, e);
        }
    }
}
