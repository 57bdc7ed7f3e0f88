package dev.tollgate.gateway.cache;

/**
 * The keys of answers seen lately, so that a full cache stores an answer only the second time its key comes (the
 * doorkeeper of TinyLFU): questions asked once then neither evict answers asked again nor churn the heap.
 *
 * <p>A direct-mapped table of key hashes: a key's slot keeps its hash until a later key that falls in the same slot
 * takes it, so the table remembers about its length of the latest keys, older ones fading first; its memory is fixed
 * at start and a sight allocates nothing. Sights race without locks: a lost update only makes a key count as new once
 * more, and a key is mistaken for another only when their 32-bit hashes are equal.
 */
final class Doorkeeper {

    /** One slot per this many bytes of the cache's bound: 1/64 of it in memory (512 KiB for the default 32 MiB). */
    static final int BYTES_PER_SLOT = 256;
    static final int MIN_SLOTS = 1 << 10;
    static final int MAX_SLOTS = 1 << 24;

    private final int[] slots;
    private final int shift;

    /** A table sized for a cache of {@code maxBytes}: a power of two between {@link #MIN_SLOTS} and {@link #MAX_SLOTS}. */
    static Doorkeeper forBound(long maxBytes) {
        int wanted = Math.clamp(maxBytes / BYTES_PER_SLOT, MIN_SLOTS, MAX_SLOTS);
        return new Doorkeeper(Integer.highestOneBit(wanted));
    }

    /** @param slots a power of two, at least 2 */
    Doorkeeper(int slots) {
        if (slots < 2 || Integer.bitCount(slots) != 1) throw new IllegalArgumentException("slots must be a power of two: " + slots);
        this.slots = new int[slots];
        this.shift = 32 - Integer.numberOfTrailingZeros(slots);
    }

    /** Records a sight of {@code key}; true when the table still held an earlier one. */
    boolean seenBefore(String key) {
        int hash = key.hashCode(); // computed once per key string, and already by the lookups before this
        int mark = hash == 0 ? 1 : hash; // 0 is an empty slot
        int slot = (hash * 0x9E3779B9) >>> shift; // Fibonacci hashing: the product's top bits
        if (slots[slot] == mark) return true;
        slots[slot] = mark;
        return false;
    }

    /** Bytes the table holds, fixed at start. */
    long bytes() {
        return 4L * slots.length;
    }
}
