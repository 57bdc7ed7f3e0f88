package dev.tollgate.core.anomaly;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class RecentPromptsTest {

    /** The structure RecentPrompts replaced, as the detector used it: prompts in access order, a queue of times each. */
    static final class Reference {
        final int capacity;
        final LinkedHashMap<Long, ArrayDeque<Long>> prompts = new LinkedHashMap<>(16, 0.75f, true);

        Reference(int capacity) {
            this.capacity = capacity;
        }

        int record(long hash, long at, long window, int kept) {
            ArrayDeque<Long> times = prompts.get(hash);
            if (times == null) {
                if (prompts.size() == capacity) prompts.pollFirstEntry();
                times = new ArrayDeque<>();
                prompts.put(hash, times);
            }
            times.addLast(at);
            while (!times.isEmpty() && at - times.peekFirst() > window) times.pollFirst();
            while (times.size() > kept) times.pollFirst();
            return times.size();
        }
    }

    @Test
    void countsRepeatsWithinTheWindowUpToTheKept() {
        RecentPrompts p = new RecentPrompts(256, 3);
        assertThat(p.record(7, 0, 100, 3)).isEqualTo(1);
        assertThat(p.record(7, 50, 100, 3)).isEqualTo(2);
        assertThat(p.record(8, 60, 100, 3)).isEqualTo(1);
        assertThat(p.record(7, 100, 100, 3)).isEqualTo(3); // 0 is exactly the window before: still in
        assertThat(p.record(7, 120, 100, 3)).isEqualTo(3); // 0 out by age; 50, 100, 120
        assertThat(p.record(7, 400, 100, 3)).isEqualTo(1); // all before out by age
    }

    @Test
    void theLeastRecentlySeenPromptIsForgottenFirst() {
        RecentPrompts p = new RecentPrompts(2, 5);
        p.record(1, 0, 1_000, 5);
        p.record(2, 1, 1_000, 5);
        p.record(1, 2, 1_000, 5); // 1 seen again: 2 is now the least recently seen
        p.record(3, 3, 1_000, 5); // evicts 2
        assertThat(p.record(1, 4, 1_000, 5)).isEqualTo(3);
        assertThat(p.record(2, 5, 1_000, 5)).isEqualTo(1); // forgotten; evicts 3
        assertThat(p.record(3, 6, 1_000, 5)).isEqualTo(1);
    }

    @Test
    void agreesWithTheMapOfQueuesOverLongRandomRuns() {
        // few distinct hashes (many repeats, many evictions, table collisions), times that sometimes go backwards (threads
        // read the clock before they take the lock), several capacities across the arrays' growth
        for (int capacity : new int[]{1, 2, 5, 16, 17, 256}) {
            for (int kept : new int[]{1, 3, 20}) {
                Random random = new Random(capacity * 31L + kept);
                RecentPrompts prompts = new RecentPrompts(capacity, kept);
                Reference reference = new Reference(capacity);
                long at = 0;
                for (int i = 0; i < 50_000; i++) {
                    long hash = random.nextInt(capacity * 2 + 3) * 0x1_0000_0000L; // equal low bits: a weak hash's worst
                    if (random.nextInt(4) == 0) hash ^= random.nextInt(8);
                    at += random.nextInt(40) - 5;
                    int expected = reference.record(hash, at, 200, kept);
                    assertThat(prompts.record(hash, at, 200, kept)).as("capacity %d kept %d step %d", capacity, kept, i).isEqualTo(expected);
                }
            }
        }
    }
}
