package dev.tollgate.store.postgres;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.Outcome;
import dev.tollgate.store.PromptRecord;
import dev.tollgate.store.ShadowAnswer;
import dev.tollgate.store.duckdb.LedgerJournal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Moves rows into the shared ledger in bulk ({@code tollgate ledger copy}): batches written on the caller's thread
 * through the writer's own path (COPY, staging, insert once), so a copy run twice counts every row once, and the
 * hours it brought are rolled up at the end. Prompts and shadow answers go through their logs' writers, waited for
 * every few thousand. Not for the request path (that is {@link PgLedger#append}).
 */
public final class PgLedgerImport implements AutoCloseable {

    private final PgLedger ledger;
    private final PgLedgerWriter writer;
    private final Path scratch;
    private final List<LedgerEntry> batch = new ArrayList<>(PgLedgerWriter.MAX_BATCH);
    private long rows;
    private long sampled;
    private static final int FLUSH_EVERY = 8192;

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

    /** Adds a logged prompt (kept once if it is there already). */
    public void add(PromptRecord prompt) {
        ledger.prompts().append(prompt);
        // the log's queue drops what it cannot hold: wait for it now and then
        if (++sampled % FLUSH_EVERY == 0) ledger.prompts().flush();
    }

    /** Adds a shadowed answer (kept once if it is there already). */
    public void add(ShadowAnswer answer) {
        ledger.shadows().append(answer);
        if (++sampled % FLUSH_EVERY == 0) ledger.shadows().flush();
    }

    public long rows() {
        return rows;
    }

    /**
     * Writes what is left and rolls up the sealed hours the rows belong to; throws if a prompt or shadow answer could
     * not be written.
     */
    public void finish() throws SQLException {
        writeBatch();
        writer.sealNow();
        ledger.prompts().flush();
        ledger.shadows().flush();
        long lost = ledger.prompts().droppedPrompts() + ledger.shadows().dropped();
        if (lost > 0) throw new SQLException(lost + " prompts or shadow answers could not be written (see the log)");
    }

    private void writeBatch() throws SQLException {
        if (batch.isEmpty()) return;
        writer.writeNow(batch);
        batch.clear();
    }

    @Override
    public void close() {
        ledger.close();
        try {
            Files.deleteIfExists(scratch);
        } catch (java.io.IOException ignored) {
            // an empty temporary directory
        }
    }
}
