package dev.tollgate.core.anomaly;

import java.util.Arrays;

/**
 * The recent times of one key's last {@code capacity} distinct prompts (by body hash), the least recently seen evicted
 * first: what a {@code LinkedHashMap<Long, ArrayDeque<Long>>} in access order held, in arrays of primitives that grow
 * to the capacity and are then reused, so that a request allocates nothing (with prompts that never repeat, every
 * request evicts one). Not thread-safe: its owner locks.
 *
 * <p>Each prompt has a slot: its hash, its place in the recency list (a doubly linked list of slot numbers) and a ring
 * of its times. An open-addressing table (linear probing) finds a hash's slot.
 */
final class RecentPrompts {

    private static final int NONE = -1;
    private static final int INITIAL_SLOTS = 16;

    private final int capacity;
    /** Times kept per prompt: one more than counts, as the newest is added before the oldest beyond the count is dropped. */
    private final int ringSize;

    private long[] hashes;
    private int[] older, newer;
    private long[] times;
    private int[] ringStart, ringCount;
    /** Slot + 1 per hash position, 0 where empty; at least twice as many positions as slots. */
    private int[] table;
    private int used;
    private int oldest = NONE, newest = NONE;

    RecentPrompts(int capacity, int timesKept) {
        this.capacity = capacity;
        this.ringSize = timesKept + 1;
        allocate(Math.min(INITIAL_SLOTS, capacity));
    }

    /**
     * Adds a time for the prompt, drops its times more than {@code windowMillis} before {@code at} and all but the
     * {@code kept} newest, and returns how many are left.
     */
    int record(long hash, long at, long windowMillis, int kept) {
        int slot = slotOf(hash);
        int base = slot * ringSize;
        int start = ringStart[slot], count = ringCount[slot];
        times[base + (start + count) % ringSize] = at;
        count++;
        while (count > 0 && at - times[base + start] > windowMillis) {
            start = (start + 1) % ringSize;
            count--;
        }
        while (count > kept) {
            start = (start + 1) % ringSize;
            count--;
        }
        ringStart[slot] = start;
        ringCount[slot] = count;
        return count;
    }

    /** The prompt's slot, now the most recently seen; a new prompt takes a free slot or the least recently seen one's. */
    private int slotOf(long hash) {
        int pos = find(hash);
        int slot;
        if (table[pos] != 0) {
            slot = table[pos] - 1;
            unlink(slot);
        } else {
            if (used < capacity) {
                if (used == hashes.length) {
                    allocate(Math.min(hashes.length * 2, capacity));
                    pos = find(hash);
                }
                slot = used++;
            } else {
                slot = oldest;
                unlink(slot);
                removeFromTable(hashes[slot]);
                pos = find(hash);
            }
            hashes[slot] = hash;
            ringStart[slot] = 0;
            ringCount[slot] = 0;
            table[pos] = slot + 1;
        }
        linkNewest(slot);
        return slot;
    }

    /** The table position holding {@code hash}, or the empty one where it would go. */
    private int find(long hash) {
        int mask = table.length - 1;
        int pos = home(hash, mask);
        while (table[pos] != 0 && hashes[table[pos] - 1] != hash) pos = (pos + 1) & mask;
        return pos;
    }

    private static int home(long hash, int mask) {
        return (int) ((hash * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }

    /** Removes a hash from the table, moving back the entries after it that its place had pushed on (no tombstones). */
    private void removeFromTable(long hash) {
        int mask = table.length - 1;
        int hole = find(hash);
        table[hole] = 0;
        for (int pos = (hole + 1) & mask; table[pos] != 0; pos = (pos + 1) & mask) {
            int home = home(hashes[table[pos] - 1], mask);
            // the entry may fill the hole if its home is not cyclically within (hole, pos]
            if (((pos - home) & mask) >= ((pos - hole) & mask)) {
                table[hole] = table[pos];
                table[pos] = 0;
                hole = pos;
            }
        }
    }

    private void unlink(int slot) {
        int o = older[slot], n = newer[slot];
        if (o == NONE) oldest = n; else newer[o] = n;
        if (n == NONE) newest = o; else older[n] = o;
    }

    private void linkNewest(int slot) {
        older[slot] = newest;
        newer[slot] = NONE;
        if (newest == NONE) oldest = slot; else newer[newest] = slot;
        newest = slot;
    }

    /** Grows the slot arrays to {@code slots} (keeping what they hold) and rebuilds the table for them. */
    private void allocate(int slots) {
        hashes = hashes == null ? new long[slots] : Arrays.copyOf(hashes, slots);
        older = older == null ? new int[slots] : Arrays.copyOf(older, slots);
        newer = newer == null ? new int[slots] : Arrays.copyOf(newer, slots);
        ringStart = ringStart == null ? new int[slots] : Arrays.copyOf(ringStart, slots);
        ringCount = ringCount == null ? new int[slots] : Arrays.copyOf(ringCount, slots);
        times = times == null ? new long[slots * ringSize] : Arrays.copyOf(times, slots * ringSize);
        table = new int[Integer.highestOneBit(slots * 2 - 1) << 1];
        for (int slot = 0; slot < used; slot++) table[find(hashes[slot])] = slot + 1;
    }
}
