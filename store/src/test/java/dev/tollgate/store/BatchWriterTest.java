package dev.tollgate.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The writer of sampled rows wakes once per batch: rows that come while a batch is open wait for its deadline, a full
 * batch or a flush. The deadline here is an hour, so any batch written before it was woken by a full batch or a flush.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against a writer that never wakes, not a measure of speed
class BatchWriterTest {

    private static final Duration NEVER = Duration.ofHours(1);

    @Test
    void rowsOfAnOpenBatchAreWrittenTogetherAtTheFlush() throws Exception {
        BlockingQueue<List<Integer>> batches = new LinkedBlockingQueue<>();
        try (BatchWriter<Integer> writer = new BatchWriter<>("test rows", 100, 10, NEVER, false, b -> batches.add(List.copyOf(b)))) {
            IntStream.range(0, 7).forEach(writer::append);
            writer.flush();
            // the first row opened the batch; the others joined it, and the flush wrote it, in one transaction
            assertEquals(List.of(List.of(0, 1, 2, 3, 4, 5, 6)), List.copyOf(batches));
            assertEquals(0, writer.dropped());
        }
    }

    @Test
    void aFullBatchWakesTheWriterWithoutAFlush() throws Exception {
        BlockingQueue<List<Integer>> batches = new LinkedBlockingQueue<>();
        try (BatchWriter<Integer> writer = new BatchWriter<>("test rows", 100, 4, NEVER, false, b -> batches.add(List.copyOf(b)))) {
            // however many rows the writer had taken when the queue reached 4, its batch fills at row 3 and is written
            IntStream.range(0, 8).forEach(writer::append);
            assertEquals(List.of(0, 1, 2, 3), batches.poll(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void closeWritesWhatIsQueuedAndLaterRowsAreDropped() {
        List<Integer> written = new ArrayList<>();
        BatchWriter<Integer> writer = new BatchWriter<>("test rows", 100, 10, NEVER, false, b -> {
            synchronized (written) {
                written.addAll(b);
            }
        });
        writer.append(1);
        writer.append(2);
        writer.close();
        synchronized (written) {
            assertEquals(List.of(1, 2), written);
        }
        writer.append(3);
        assertEquals(1, writer.dropped());
    }

    @Test
    void aFailedBatchIsDroppedAndCountedAndTheWriterGoesOn() {
        List<Integer> written = new ArrayList<>();
        try (BatchWriter<Integer> writer = new BatchWriter<>("test rows", 100, 10, NEVER, false, b -> {
            if (b.contains(-1)) throw new IllegalStateException("refused");
            synchronized (written) {
                written.addAll(b);
            }
        })) {
            writer.append(-1);
            writer.flush();
            assertEquals(1, writer.dropped());
            writer.append(5);
            writer.flush();
            synchronized (written) {
                assertEquals(List.of(5), written);
            }
        }
    }
}
