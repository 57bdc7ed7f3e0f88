package dev.tollgate.store.duckdb;

import java.nio.file.Path;

/**
 * How the DuckDB ledger keeps rows when its disk fails (config section {@code ledger:}; README, configuration
 * reference).
 *
 * @param journalDir     where the journal (and spool) of rows not yet committed lives; null: {@code DATA/journal}.
 *                       Put it on another disk than the data directory to keep rows while that disk is full
 * @param memoryRows     rows the writer's queue holds in memory before further rows go to the spool only
 * @param spoolMaxBytes  the most the journal may hold; beyond it (and a full queue) a row cannot be kept
 * @param walMaxBytes    DuckDB's checkpoint_threshold: the write-ahead log is folded into the file beyond this size
 * @param minFreeBytes   the writer does not commit while the ledger's disk has less free space than this (it waits,
 *                       keeping the rows), so DuckDB itself does not run into a full disk
 * @param serveOnFailure {@code ledger.on_failure: serve}: keep serving when a row cannot be kept (it is counted
 *                       as lost); otherwise metered calls are refused with 503 until rows can be kept again
 * @param memoryLimitBytes DuckDB's {@code memory_limit}: its buffer pool (cached blocks of the file, data not yet
 *                       checkpointed, query state) stays under it, spilling to a temp directory beside the file.
 *                       DuckDB's own default is 80% of the machine's RAM, which let RSS grow without a plateau
 * @param threads        DuckDB's {@code threads} (its own default: one per core); each thread keeps its own caches
 */
public record LedgerOptions(Path journalDir, int memoryRows, long spoolMaxBytes, long walMaxBytes, long minFreeBytes,
                            boolean serveOnFailure, long memoryLimitBytes, int threads) {

    public static final long DEFAULT_MEMORY_LIMIT_BYTES = 64L << 20;
    /**
     * One: queries run on the thread that asks. With a second, DuckDB hands parts of each of the writer's inserts to
     * it and the writer spins until they are done: 1 thread cost about a third less CPU per row than 2 in
     * {@code DuckDbWriterCost} (BENCHMARKS.md); a large report gives up its second core.
     */
    public static final int DEFAULT_THREADS = 1;
    static final String ALLOCATOR_FLUSH_THRESHOLD = "16MiB";

    public static final LedgerOptions DEFAULTS = new LedgerOptions(null, DuckDbLedger.DEFAULT_QUEUE_CAPACITY,
            1024L << 20, 64L << 20, 32L << 20, false);

    /** With DuckDB's memory limit and threads at their defaults. */
    public LedgerOptions(Path journalDir, int memoryRows, long spoolMaxBytes, long walMaxBytes, long minFreeBytes,
                         boolean serveOnFailure) {
        this(journalDir, memoryRows, spoolMaxBytes, walMaxBytes, minFreeBytes, serveOnFailure,
                DEFAULT_MEMORY_LIMIT_BYTES, DEFAULT_THREADS);
    }

    public LedgerOptions {
        if (memoryRows < 1) throw new IllegalArgumentException("ledger.memory_rows must be positive");
        if (spoolMaxBytes < 1 << 20) throw new IllegalArgumentException("ledger.spool_max_mb must be at least 1");
        if (walMaxBytes < 1 << 20) throw new IllegalArgumentException("ledger.wal_max_mb must be at least 1");
        if (minFreeBytes < 0) throw new IllegalArgumentException("ledger.min_free_mb must not be negative");
        if (memoryLimitBytes < 16L << 20) throw new IllegalArgumentException("ledger.memory_limit_mb must be at least 16");
        if (threads < 1) throw new IllegalArgumentException("ledger.threads must be positive");
    }

    /** DuckDB's settings at the opening of the database (they bound its native memory; README, "Reliability"). */
    java.util.Properties duckDbProperties() {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("memory_limit", (memoryLimitBytes >> 20) + "MiB"); // MB would be 10^6 bytes to DuckDB
        p.setProperty("threads", Integer.toString(threads));
        // DuckDB allocates through jemalloc, which keeps freed memory for reuse until a task's peak passes
        // allocator_flush_threshold (128 MiB by default): RSS that rose with every checkpoint and was not given back
        p.setProperty("allocator_flush_threshold", ALLOCATOR_FLUSH_THRESHOLD);
        p.setProperty("allocator_background_threads", "true"); // returns freed pages in the background, not only on flush
        // The buffer pool's 256 KiB blocks (a row group's columns as they fill, the checkpoint's segments) from a pool
        // that keeps its pages: through jemalloc, which gives them back at each flush, every block came as fresh
        // memory, a page fault per 4 KiB touched, 42% of the writer's faults (BENCHMARKS.md, "Where the time goes").
        // The blocks count against memory_limit as before: the pool adds nothing to the bound, it keeps resident
        // what the bound allows (eviction past the limit still gives pages back).
        p.setProperty("block_allocator_memory", (memoryLimitBytes >> 20) + "MiB");
        return p;
    }

    LedgerOptions withMemoryRows(int rows) {
        return new LedgerOptions(journalDir, rows, spoolMaxBytes, walMaxBytes, minFreeBytes, serveOnFailure,
                memoryLimitBytes, threads);
    }
}
