package dev.tollgate.store.postgres;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.Outcome;
import dev.tollgate.store.duckdb.LedgerJournal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Moves rows into the shared ledger in bulk ({@code tollgate ledger copy}): batches written on the caller's thread
 * through the writer's own path (COPY, staging, insert once), so a copy run twice counts every row once, and the
 * hours it brought are rolled up at the end. Not for the request path (that is {@link PgLedger#append}).
 */
public final class PgLedgerImport implements AutoCloseable {

    private final PgLedger ledger;
    private final PgLedgerWriter writer;
    private final Path scratch;
    private final List<LedgerEntry> batch = new ArrayList<>(PgLedgerWriter.MAX_BATCH);
    private long rows;

    public PgLedgerImport(PgDatabase db) {
        this.ledger = PgLedger.reader(db);
        try {
            // the writer wants a journal; a copy never appends to it
            this.scratch = Files.createTempDirectory("tollgate-ledger-copy");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.writer = new PgLedgerWriter(db, 1, new LedgerJournal(scratch, 1L << 20));
    }

    /** Adds a row; written with the next full batch. */
    public void add(LedgerEntry entry) throws SQLException {
        batch.add(entry);
        rows++;
        if (batch.size() >= PgLedgerWriter.MAX_BATCH) writeBatch();
    }

    /** Records an outcome as it was recorded in the source. */
    public void add(Outcome outcome) {
        ledger.recordOutcome(outcome);
    }

    public long rows() {
        return rows;
    }

    /** Writes what is left and rolls up the sealed hours the rows belong to. */
    public void finish() throws SQLException {
        writeBatch();
        writer.sealNow();
    }

    private void writeBatch() throws SQLException {
        if (batch.isEmpty()) return;
        writer.writeNow(batch);
        batch.clear();
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(scratch);
        } catch (java.io.IOException ignored) {
            // an empty temporary directory
        }
    }
}
