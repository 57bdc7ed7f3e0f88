package dev.tollgate.planner.whatif;

import dev.tollgate.store.duckdb.LedgerScan;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
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

    /** Replays the rows of {@code [from, to)} into {@code engine}; {@code progress} hears the running row count. */
    public static ReplayResult run(LedgerScan scan, Instant from, Instant to, ReplayEngine engine, LongConsumer progress)
            throws InterruptedException {
        BlockingQueue<List<LedgerScan.Row>> queue = new ArrayBlockingQueue<>(16);
        RuntimeException[] failure = new RuntimeException[1];
        Thread reader = Thread.ofPlatform().name("ledger-reader").start(() -> {
            List<LedgerScan.Row>[] batch = new List[] {new ArrayList<>(BATCH)};
            try {
                scan.scan(from, to, engine.needsTimeOrder(), row -> {
                    batch[0].add(row);
                    if (batch[0].size() == BATCH) {
                        put(queue, batch[0]);
                        batch[0] = new ArrayList<>(BATCH);
                    }
                });
                if (!batch[0].isEmpty()) put(queue, batch[0]);
            } catch (RuntimeException e) {
                failure[0] = e;
            } finally {
                put(queue, END);
            }
        });
        long seen = 0;
        for (List<LedgerScan.Row> batch = queue.take(); batch != END; batch = queue.take()) {
            for (LedgerScan.Row row : batch) engine.accept(row);
            seen += batch.size();
            progress.accept(seen);
        }
        reader.join();
        if (failure[0] != null) throw failure[0];
        return engine.result();
    }

    private static void put(BlockingQueue<List<LedgerScan.Row>> queue, List<LedgerScan.Row> batch) {
        try {
            queue.put(batch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("replay interrupted", e);
        }
    }
}
