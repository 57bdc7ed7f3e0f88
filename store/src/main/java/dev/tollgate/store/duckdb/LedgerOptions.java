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
 */
public record LedgerOptions(Path journalDir, int memoryRows, long spoolMaxBytes, long walMaxBytes, long minFreeBytes,
                            boolean serveOnFailure) {

    public static final LedgerOptions DEFAULTS = new LedgerOptions(null, DuckDbLedger.DEFAULT_QUEUE_CAPACITY,
            1024L << 20, 64L << 20, 32L << 20, false);

    public LedgerOptions {
        if (memoryRows < 1) throw new IllegalArgumentException("ledger.memory_rows must be positive");
        if (spoolMaxBytes < 1 << 20) throw new IllegalArgumentException("ledger.spool_max_mb must be at least 1");
        if (walMaxBytes < 1 << 20) throw new IllegalArgumentException("ledger.wal_max_mb must be at least 1");
        if (minFreeBytes < 0) throw new IllegalArgumentException("ledger.min_free_mb must not be negative");
    }

    LedgerOptions withMemoryRows(int rows) {
        return new LedgerOptions(journalDir, rows, spoolMaxBytes, walMaxBytes, minFreeBytes, serveOnFailure);
    }
}
