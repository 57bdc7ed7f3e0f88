package dev.tollgate.planner.whatif;

import dev.tollgate.store.duckdb.LedgerScan;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Runs a replay on two threads: one reads rows from the ledger (JDBC decoding is most of the work), the caller's
 * thread replays them, in order, as batches arrive. The replay itself stays sequential, as a response cache
 * simulation must.
 */
public final class PipelinedReplay {

    private static final int BATCH = 4096;
    private static final List<LedgerScan.Row> END = List.of();

    private PipelinedReplay() {
    }

    /** Replays the rows of {@code [from, to)} into {@code engine} and returns its result. */
    public static ReplayResult run(LedgerScan scan, Instant from, Instant to, ReplayEngine engine, LongConsumer progress)
            throws InterruptedException {
        feed(scan, from, to, engine.needsTimeOrder(), engine, progress);
        return engine.result();
    }

    /**
     * Hands the rows of {@code [from, to)} to {@code sink} on the caller's thread while another thread reads them;
     * {@code progress} hears the running row count. When {@code sink} throws, the reader stops and the exception
     * goes to the caller.
     */
    public static void feed(LedgerScan scan, Instant from, Instant to, boolean timeOrder, Consumer<LedgerScan.Row> sink,
                            LongConsumer progress) throws InterruptedException {
        BlockingQueue<List<LedgerScan.Row>> queue = new ArrayBlockingQueue<>(16);
        AtomicBoolean cancelled = new AtomicBoolean();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().name("ledger-reader").start(() -> {
            List<List<LedgerScan.Row>> batch = new ArrayList<>(List.of(new ArrayList<>(BATCH)));
            try {
                scan.scan(from, to, timeOrder, row -> {
                    batch.getFirst().add(row);
                    if (batch.getFirst().size() == BATCH) {
                        put(queue, batch.getFirst(), cancelled);
                        batch.set(0, new ArrayList<>(BATCH));
                    }
                });
                if (!batch.getFirst().isEmpty()) put(queue, batch.getFirst(), cancelled);
            } catch (Cancelled e) {
                return;
            } catch (RuntimeException e) {
                failure.set(e);
            }
            try {
                put(queue, END, cancelled);
            } catch (Cancelled ignored) {
                // the replay stopped first: nobody waits for the end
            }
        });
        try {
            long seen = 0;
            for (List<LedgerScan.Row> batch = queue.take(); batch != END; batch = queue.take()) {
                for (LedgerScan.Row row : batch) sink.accept(row);
                seen += batch.size();
                progress.accept(seen);
            }
        } catch (RuntimeException | Error | InterruptedException e) {
            cancelled.set(true); // the reader stops at its next batch instead of waiting on a full queue forever
            reader.join();
            throw e;
        }
        reader.join();
        if (failure.get() != null) throw failure.get();
    }

    /** The replay stopped: the reader gives up. */
    private static final class Cancelled extends RuntimeException {
        Cancelled() {
            super(null, null, false, false);
        }
    }

    private static void put(BlockingQueue<List<LedgerScan.Row>> queue, List<LedgerScan.Row> batch, AtomicBoolean cancelled) {
        try {
            while (!cancelled.get()) {
                if (queue.offer(batch, 100, TimeUnit.MILLISECONDS)) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new Cancelled();
    }
}
