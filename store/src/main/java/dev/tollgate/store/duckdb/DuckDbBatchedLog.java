package dev.tollgate.store.duckdb;

import dev.tollgate.store.BatchWriter;
import dev.tollgate.store.BatchedLog;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.List;

/**
 * A log kept beside the ledger in its DuckDB file (prompts, shadow answers): each batch is appended to one table
 * through the log's own write connection, in one transaction; a failed one is rolled back and dropped by the writer
 * (these logs are samples). Queries run through the ledger's reads.
 */
abstract class DuckDbBatchedLog<T> extends BatchedLog<T> {

    private static final Logger log = LoggerFactory.getLogger(DuckDbBatchedLog.class);

    private final String table;
    private final DuckDBConnection conn;
    final DuckDbLedger ledger;

    /** {@code what}: the rows in words, as {@link BatchWriter} takes them; {@code background}: the writer at a low CPU
     * priority; {@code conn}: this log's own write connection. */
    DuckDbBatchedLog(String what, String table, int capacity, int maxBatch, boolean background, DuckDBConnection conn,
                     DuckDbLedger ledger) throws SQLException {
        super(what, capacity, maxBatch, background);
        this.table = table;
        this.conn = conn;
        this.ledger = ledger;
        conn.setAutoCommit(false);
    }

    /** One row in the table's column order. */
    abstract void appendRow(DuckDBAppender a, T row) throws SQLException;

    @Override
    protected final void write(List<T> batch) throws SQLException {
        // DuckDB's own out-of-space path has crashed the JVM: on a nearly full disk a batch (a sample) is dropped
        String lowSpace = ledger.lowSpace();
        if (lowSpace != null) throw new BatchWriter.Refused(lowSpace);
        try (DuckDBAppender a = conn.createAppender(DuckDBConnection.DEFAULT_SCHEMA, table)) {
            for (T row : batch) appendRow(a, row);
            a.flush();
            conn.commit();
        } catch (SQLException | RuntimeException e) {
            try {
                conn.rollback();
            } catch (SQLException r) {
                e.addSuppressed(r);
            }
            throw e;
        }
    }

    static void string(DuckDBAppender a, String s) throws SQLException {
        if (s == null) a.appendNull(); else a.append(s);
    }

    @Override
    public void close() {
        super.close();
        try {
            conn.close();
        } catch (SQLException e) {
            log.warn("closing the {} log's connection failed", table, e);
        }
    }
}
