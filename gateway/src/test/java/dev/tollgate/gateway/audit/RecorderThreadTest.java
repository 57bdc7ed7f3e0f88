package dev.tollgate.gateway.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The recorders' hand-off thread: tasks run in order, never more than the queue holds, and a recorder that rests
 * between batches (an hour here, so only a flush or close can wake it) still runs everything before a flush returns.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a guard against a thread that never wakes, not a measure of speed
class RecorderThreadTest {

    private static final Duration HOUR = Duration.ofHours(1);

    @Test
    void flushCutsTheLullShortAndTasksRunInOrder() {
        List<Integer> ran = new ArrayList<>();
        try (RecorderThread thread = new RecorderThread("test-recorder", 100, false, HOUR)) {
            thread.execute(() -> ran.add(0));
            thread.flush(); // the recorder now rests for an hour after this batch
            for (int i = 1; i <= 5; i++) {
                int n = i;
                thread.execute(() -> ran.add(n));
            }
            thread.flush();
            assertEquals(List.of(0, 1, 2, 3, 4, 5), List.copyOf(ran)); // flush's hand-over publishes the list
        }
    }

    @Test
    void closeRunsWhatIsQueuedThenLaterTasksAreDropped() {
        List<Integer> ran = new ArrayList<>();
        RecorderThread thread = new RecorderThread("test-recorder", 100, false, HOUR);
        thread.execute(() -> ran.add(1));
        thread.flush();
        thread.execute(() -> ran.add(2));
        thread.close();
        thread.execute(() -> ran.add(3));
        assertEquals(List.of(1, 2), List.copyOf(ran));
        assertEquals(1, thread.dropped());
    }

    @Test
    void aFullQueueDropsAndCountsAndAFailedTaskIsCounted() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> ran = new ArrayList<>();
        try (RecorderThread thread = new RecorderThread("test-recorder", 2, false, Duration.ZERO)) {
            thread.execute(() -> {
                running.countDown();
                await(release);
                ran.add("held");
            });
            assertTrue(running.await(30, TimeUnit.SECONDS));
            thread.execute(() -> { throw new IllegalStateException("a record that cannot be kept"); });
            thread.execute(() -> ran.add("queued"));
            thread.execute(() -> ran.add("no room")); // the queue holds two
            assertEquals(1, thread.dropped());
            release.countDown();
            thread.flush();
            assertEquals(List.of("held", "queued"), List.copyOf(ran));
            assertEquals(2, thread.dropped()); // the full queue's and the failed task's
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
