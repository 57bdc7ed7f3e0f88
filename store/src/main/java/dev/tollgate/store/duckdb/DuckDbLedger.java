package dev.tollgate.store.duckdb;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.LedgerHealth;
import dev.tollgate.store.Outcome;
import dev.tollgate.store.OutcomeRow;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.StorageFullException;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The ledger as an embedded DuckDB database, {@code ledger.duckdb} in the data directory, one row per request in
 * table {@code requests} (see {@link LedgerSchema}).
 *
 * <p><b>Writes.</b> {@link #append} is safe to call from event loops and never blocks on the database: it copies the
 * row into the journal ({@link LedgerJournal}, memory-mapped, so it survives a crash of the process), whose segments a
 * single writer thread ({@link LedgerWriter}) has DuckDB take in bulk. A row the journal cannot take (its disk full or
 * failing) waits in a bounded queue instead ({@link LedgerOptions#memoryRows()}, {@value #DEFAULT_QUEUE_CAPACITY} rows
 * by default, roughly 1 KiB each), which the writer drains in batches; one that neither can keep is counted by
 * {@link #droppedRows()}.
 * While commits fail for want of storage the writer keeps its batch and retries; {@link #health()} says so. Rows
 * whose batch the database refused even row by row are logged at ERROR and counted by {@link #failedRows()}.
 * {@link #flush()} waits for everything appended before it; {@link #close()} writes everything queued, so a clean
 * shutdown loses nothing and leaves no journal. Appends after close are counted as dropped.
 *
 * <p><b>Rollup.</b> Next to the raw rows the writer keeps hourly and daily rollups ({@link Rollup}) of every hour
 * that has ended (a grace later), rolled up in SQL in the transaction that moves their watermark; {@link #spend}
 * answers whole days and hours before it from them, and edge hours and the open hour from raw rows
 * ({@link SpendSql}), so its totals always equal the raw rows'. {@link #audit}, {@link #outcomes} and breakdowns by {@code decision} read raw
 * rows. {@link #exportFocus} writes the rollup as a FOCUS dataset.
 *
 * <p><b>Reads.</b> {@link #spend} and {@link #recent} each run on a fresh duplicate of the database connection, so
 * they run concurrently with the writer and with each other, and see committed rows only. In
 * {@link SpendRow#group()}, a row lacking a grouped tag has the value {@code null} (the map allows nulls). Costs are
 * exact {@link BigDecimal}s with trailing zeros stripped; times keep microsecond precision (finer is truncated).
 */
public final class DuckDbLedger implements Ledger {

    private static final Logger log = LoggerFactory.getLogger(DuckDbLedger.class);

    /** The file inside the data directory. */
    public static final String FILE_NAME = "ledger.duckdb";
    /**
     * 64 Ki rows, roughly 64 MiB of heap at most: sized to fit the launcher's default heap (192 MiB) beside the
     * gateway's own ~60 MiB; rows beyond it wait in the journal on disk, not in memory (was 256 Ki rows, which
     * could not fit that heap while the writer lagged).
     */
    public static final int DEFAULT_QUEUE_CAPACITY = 65_536;
    /** The journal's directory inside the data directory, unless {@link LedgerOptions#journalDir()} says otherwise. */
    public static final String JOURNAL_DIR = "journal";

    /**
     * Rows that are not a shadow call (issue 13): a shadow call shares the client's request id but is tagged
     * {@code shadow=ROUTE}, and a look-up by request id means the client's own request.
     */
    static final String NOT_SHADOW = "json_extract_string(tags, '$.shadow') IS NULL";

    private static final String ENTRY_COLUMNS = """
            epoch_us(time), request_id, key_name, CAST(CAST(tags AS JSON) AS MAP(VARCHAR, VARCHAR)), api, provider, deployment, requested_model, served_model,
            input_tokens, cached_input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,
            reasoning_tokens, cost_usd, price_version, status, error, latency_us, ttft_us, stream, estimated, cache, saved_usd, unpriced,
            attempt, attempt_reason, upstream_model""";

    private final Path file;
    private final DuckDBConnection root;
    private final DuckDBConnection writeConn;
    private final LedgerWriter writer;
    private final LedgerJournal journal;
    private final LedgerOptions options;
    /** Reads hold it shared; close holds it exclusively, so connections never close under a running query. */
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** One per ledger: it serializes alert claims and key creation (one process owns the file). */
    private final DuckDbBudgetStore budgetStore = new DuckDbBudgetStore(this);
    private boolean closed;

    private DuckDbLedger(Path file, DuckDBConnection root, DuckDBConnection writeConn, LedgerJournal journal,
                         LedgerOptions options, BeforeCommit beforeCommit) throws SQLException {
        this.file = file;
        this.root = root;
        this.writeConn = writeConn;
        this.journal = journal;
        this.options = options;
        java.nio.file.FileStore disk = null;
        try {
            disk = Files.getFileStore(file.getParent());
        } catch (IOException e) {
            log.warn("cannot watch the free space of {}: {}", file.getParent(), e.toString());
        }
        this.writer = new LedgerWriter(writeConn, options.memoryRows(), journal, disk, options.minFreeBytes(), beforeCommit);
    }

    /** Opens (creating if needed) {@code dataDir/ledger.duckdb}, migrates its schema and starts the writer. */
    public static DuckDbLedger open(Path dataDir) {
        return open(dataDir, DEFAULT_QUEUE_CAPACITY);
    }

    /** As {@link #open(Path)}, with the number of rows the write queue holds before rows go to the journal only. */
    public static DuckDbLedger open(Path dataDir, int queueCapacity) {
        if (queueCapacity < 1) throw new IllegalArgumentException("queueCapacity must be positive");
        return open(dataDir, LedgerOptions.DEFAULTS.withMemoryRows(queueCapacity));
    }

    /**
     * As {@link #open(Path)}, with {@code options}. Rows left in the journal by a process that died are written (those
     * not in the ledger yet) by the writer before any new row.
     */
    public static DuckDbLedger open(Path dataDir, LedgerOptions options) {
        return open(dataDir, options, null);
    }

    /** A test's stand-in for the disk: may throw before each commit, as DuckDB does on a full disk. */
    @FunctionalInterface
    public interface BeforeCommit {
        void check() throws SQLException;
    }

    /** As {@link #open(Path, LedgerOptions)}; {@code beforeCommit} may fail commits as a full disk does (tests). */
    public static DuckDbLedger open(Path dataDir, LedgerOptions options, BeforeCommit beforeCommit) {
        Path file = dataDir.resolve(FILE_NAME).toAbsolutePath();
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + dataDir, e);
        }
        DuckDBConnection root = null;
        DuckDBConnection writeConn = null;
        try {
            root = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:" + file, options.duckDbProperties());
            int version = LedgerSchema.migrate(root);
            try (Statement s = root.createStatement()) {
                s.execute("SET checkpoint_threshold = '" + (options.walMaxBytes() >> 20) + "MB'");
            }
            writeConn = (DuckDBConnection) root.duplicate();
            Path journalDir = options.journalDir() != null ? options.journalDir() : dataDir.resolve(JOURNAL_DIR);
            LedgerJournal journal = new LedgerJournal(journalDir.toAbsolutePath(), options.spoolMaxBytes());
            if (!journal.leftovers().isEmpty()) {
                log.info("ledger journal at {}: {} segments left by a previous run are written to the ledger before new rows",
                        journalDir, journal.leftovers().size());
            }
            DuckDbLedger ledger = new DuckDbLedger(file, root, writeConn, journal, options, beforeCommit);
            ledger.writer.start();
            log.info("ledger opened at {} (schema version {})", file, version);
            return ledger;
        } catch (SQLException | RuntimeException e) {
            closeQuietly(writeConn);
            closeQuietly(root);
            throw new IllegalStateException("cannot open the ledger at " + file + ": " + e.getMessage(), e);
        }
    }

    private DuckDbPromptLog prompts;
    private boolean promptsClosed;

    /** The prompt log in the same file (issue 5, prompt audit), opened on first use and closed with the ledger. */
    @Override
    public synchronized DuckDbPromptLog prompts() {
        if (promptsClosed) throw new IllegalStateException("the ledger is closed");
        if (prompts == null) {
            try {
                prompts = new DuckDbPromptLog((DuckDBConnection) root.duplicate(), this);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot open the prompt log: " + e.getMessage(), e);
            }
        }
        return prompts;
    }

    private DuckDbShadowLog shadows;

    /** Shadowed answers in the same file (issue 13, shadow mode), opened on first use and closed with the ledger. */
    @Override
    public synchronized DuckDbShadowLog shadows() {
        if (promptsClosed) throw new IllegalStateException("the ledger is closed");
        if (shadows == null) {
            try {
                shadows = new DuckDbShadowLog((DuckDBConnection) root.duplicate(), this);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot open the shadow log: " + e.getMessage(), e);
            }
        }
        return shadows;
    }

    /** The database file. */
    public Path file() {
        return file;
    }

    /**
     * Writes the row to the journal (one write into the page cache), where the writer takes it from; a row the journal
     * cannot take waits in memory instead, and one that neither can take is lost and counted ({@link #droppedRows()}).
     */
    @Override
    public void append(LedgerEntry entry) {
        if (entry == null) throw new NullPointerException("entry");
        JournalCodec.Line line = JournalCodec.encodeInPlace(entry);
        if (!journal.append(line.bytes(), line.length(), entry.time()) && !writer.offer(entry)) writer.dropped();
    }

    /**
     * Waits until every row appended before it, journaled ones included, is in the ledger; while writes fail for want
     * of storage it waits at most about 2 s and returns with the rows still kept (see {@link #health()}).
     */
    @Override
    public void flush() {
        writer.flush();
    }

    @Override
    public LedgerHealth health() {
        String storage = writer.storageFailure();
        String journalFailure = journal.failure();
        long spooled = journal.rows(); // waiting for the writer, which takes them in bulk: a lag, not a failure
        boolean cannotKeep = writer.full() && journalFailure != null;
        StringBuilder reason = new StringBuilder();
        if (storage != null) reason.append("ledger writes fail: ").append(storage);
        if (journalFailure != null) reason.append(reason.isEmpty() ? "" : "; ").append(journalFailure);
        if (storage != null && spooled > 0) reason.append("; ").append(spooled).append(" rows wait in the journal");
        if (cannotKeep) reason.append("; memory (").append(options.memoryRows()).append(" rows) is full: new rows cannot be kept");
        boolean degraded = !reason.isEmpty();
        return new LedgerHealth(degraded, cannotKeep && !options.serveOnFailure(), degraded ? reason.toString() : null,
                writer.queuedRows(), spooled, writer.droppedRows() + writer.failedRows(), writer.stalledSeconds());
    }

    /** Why the database's disk is too full to write to (under ledger.min_free_mb), or null when it has room. */
    String lowSpace() {
        return writer.lowSpace();
    }

    /** Where the journal is. */
    public Path journalDir() {
        return journal.dir();
    }

    /** Budgets and alerts kept in the same database file (tables {@code budgets} and {@code alerts}). */
    public dev.tollgate.store.BudgetStore budgetStore() {
        return budgetStore;
    }

    /** Rows before this time are answered from the rollups (null: none yet); see {@link Rollup}. */
    Instant sealedUntil() {
        return writer.sealedUntil();
    }

    /** Rows kept nowhere: the queue and the journal were both full or failing, or the ledger was closed. */
    public long droppedRows() {
        return writer.droppedRows();
    }

    /** Rows written by bulk inserts of the journal since open; the others went through DuckDB's appender. */
    long rowsTakenInBulk() {
        return writer.bulkRows();
    }

    /** Rows never written because their batch failed twice (logged at ERROR). */
    public long failedRows() {
        return writer.failedRows();
    }

    @Override
    public List<SpendRow> spend(SpendQuery query) {
        SpendSql spend = SpendSql.of(query, writer.sealedUntil());
        return read(conn -> {
            List<SpendRow> rows = new ArrayList<>();
            try (PreparedStatement p = conn.prepareStatement(spend.sql())) {
                bind(p, spend.parameters());
                try (ResultSet rs = p.executeQuery()) {
                    int dims = spend.groupBy().size();
                    while (rs.next()) {
                        long requests = rs.getLong(dims + 1);
                        long attempts = rs.getLong(dims + 9);
                        // the single all-rows group of an ungrouped query over nothing (a group of attempts whose
                        // requests all stood elsewhere, as a cascade's cheap tier that always escalated, is kept)
                        if (attempts == 0) continue;
                        Map<String, String> group = new LinkedHashMap<>();
                        for (int i = 0; i < dims; i++) group.put(spend.groupBy().get(i), rs.getString(i + 1));
                        rows.add(new SpendRow(Collections.unmodifiableMap(group), requests, rs.getLong(dims + 2),
                                rs.getLong(dims + 3), rs.getLong(dims + 4), rs.getLong(dims + 5),
                                rs.getLong(dims + 6), money(rs.getBigDecimal(dims + 7)),
                                money(rs.getBigDecimal(dims + 8)), attempts));
                    }
                }
            }
            return rows;
        });
    }

    @Override
    public List<LedgerEntry> audit(SpendQuery query, int limit) {
        if (limit < 0) throw new IllegalArgumentException("limit must not be negative");
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT " + ENTRY_COLUMNS + " FROM (SELECT *, time AS t FROM requests WHERE ")
                .append(SpendSql.range("time", query.from(), query.to(), params));
        List<Map.Entry<String, String>> filters = query.filters().entrySet().stream().sorted(Map.Entry.comparingByKey()).toList();
        sql.append(SpendSql.tagPrefilters(filters, params)).append(") src WHERE true");
        for (Map.Entry<String, String> f : filters) {
            sql.append(" AND ").append(SpendSql.expression(f.getKey(), params)).append(" = ?");
            params.add(f.getValue());
        }
        sql.append(" ORDER BY time DESC LIMIT ?");
        params.add((long) limit);
        return query(sql.toString(), params, rs -> {
            List<LedgerEntry> entries = new ArrayList<>();
            while (rs.next()) entries.add(entry(rs));
            return entries;
        });
    }

    @Override
    public void recordOutcome(Outcome outcome) {
        write("the outcome", conn -> {
            try (PreparedStatement p = conn.prepareStatement(
                    "INSERT INTO outcomes VALUES (make_timestamp(?::BIGINT), ?, ?, ?, ?)")) {
                p.setLong(1, LedgerWriter.epochMicros(outcome.time()));
                p.setString(2, outcome.requestId());
                p.setString(3, outcome.decision());
                p.setBoolean(4, outcome.success());
                p.setBigDecimal(5, outcome.valueUsd() == null ? null : LedgerWriter.cost(outcome.valueUsd()));
                return p.executeUpdate();
            }
        });
    }

    @Override
    public List<OutcomeRow> outcomes(SpendQuery query) {
        OutcomeSql outcomes = OutcomeSql.of(query);
        return query(outcomes.sql(), outcomes.parameters(), rs -> {
            List<OutcomeRow> rows = new ArrayList<>();
            int dims = outcomes.groupBy().size();
            while (rs.next()) {
                if (rs.getLong(dims + 3) == 0) continue; // the single all-rows group of an ungrouped query over nothing
                Map<String, String> group = new LinkedHashMap<>();
                for (int i = 0; i < dims; i++) group.put(outcomes.groupBy().get(i), rs.getString(i + 1));
                rows.add(new OutcomeRow(Collections.unmodifiableMap(group), rs.getLong(dims + 1),
                        money(rs.getBigDecimal(dims + 2)), rs.getLong(dims + 3), rs.getLong(dims + 4),
                        money(rs.getBigDecimal(dims + 5))));
            }
            return rows;
        });
    }

    /**
     * Writes the charges of {@code [from, to)} (rounded out to whole hours; either end may be open) as a FOCUS 1.3
     * dataset to {@code out}, in {@code format} "csv" or "parquet" (see {@link FocusExport}). Returns the number of
     * charge rows written. Rows appended but not yet flushed may be missing.
     */
    public long exportFocus(Instant from, Instant to, String format, Path out) {
        FocusExport.Format f = FocusExport.format(format);
        return read(conn -> {
            try (Statement s = conn.createStatement()) {
                s.execute("SET TimeZone = 'UTC'");
                return (long) s.executeUpdate(FocusExport.copy(from, to, writer.sealedUntil(), f, out));
            }
        });
    }

    /** Every row, oldest first (a copy into another ledger). Rows appended but not yet flushed may be missing. */
    public void forEach(java.util.function.Consumer<LedgerEntry> sink) {
        read(conn -> {
            try (Statement s = conn.createStatement();
                 ResultSet rs = s.executeQuery("SELECT " + ENTRY_COLUMNS + " FROM requests ORDER BY time, rowid")) {
                while (rs.next()) sink.accept(entry(rs));
            }
            return null;
        });
    }

    /** Every recorded outcome, oldest first (a copy into another ledger). */
    public void forEachOutcome(java.util.function.Consumer<Outcome> sink) {
        read(conn -> {
            try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT epoch_us(time), request_id, decision, success, value_usd FROM outcomes ORDER BY time")) {
                while (rs.next()) {
                    long micros = rs.getLong(1);
                    BigDecimal value = rs.getBigDecimal(5);
                    sink.accept(new Outcome(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L),
                            rs.getString(2), rs.getString(3), rs.getBoolean(4), value == null ? null : money(value)));
                }
            }
            return null;
        });
    }

    @Override
    public List<LedgerEntry> recent(int limit) {
        if (limit < 0) throw new IllegalArgumentException("limit must not be negative");
        return read(conn -> {
            List<LedgerEntry> entries = new ArrayList<>(Math.min(limit, 1024));
            try (PreparedStatement p = conn.prepareStatement(
                    "SELECT " + ENTRY_COLUMNS + " FROM requests ORDER BY time DESC, rowid DESC LIMIT ?")) {
                p.setInt(1, limit);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) entries.add(entry(rs));
                }
            }
            return entries;
        });
    }

    @Override
    public Optional<LedgerEntry> find(String requestId) {
        if (requestId == null) return Optional.empty();
        return read(conn -> {
            try (PreparedStatement p = conn.prepareStatement(
                    "SELECT " + ENTRY_COLUMNS + " FROM requests WHERE request_id = ? AND " + NOT_SHADOW
                            + " ORDER BY time DESC, attempt DESC LIMIT 1")) {
                p.setString(1, requestId);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(entry(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<LedgerEntry> attempts(String requestId) {
        if (requestId == null) return List.of();
        return read(conn -> {
            try (PreparedStatement p = conn.prepareStatement(
                    "SELECT " + ENTRY_COLUMNS + " FROM requests WHERE request_id = ? AND " + NOT_SHADOW + " ORDER BY attempt, time")) {
                p.setString(1, requestId);
                List<LedgerEntry> entries = new ArrayList<>();
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) entries.add(entry(rs));
                }
                return entries;
            }
        });
    }

    @Override
    public void close() {
        synchronized (this) {
            promptsClosed = true;
            if (prompts != null) prompts.close();
            if (shadows != null) shadows.close();
        }
        writer.close();
        synchronized (journal) {
            // every row is in the ledger unless the writer had to leave some in the journal (storage failing)
            journal.close(!writer.abandoned());
        }
        lifecycle.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            closeQuietly(writeConn);
            closeQuietly(root);
            if (writer.droppedRows() > 0 || writer.failedRows() > 0) {
                log.warn("ledger closed; {} rows were dropped and {} failed to write since it opened",
                        writer.droppedRows(), writer.failedRows());
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    /** Work over a {@link LedgerScan} of this ledger. */
    @FunctionalInterface
    public interface ScanWork<T> {
        T apply(LedgerScan scan) throws Exception;
    }

    /**
     * Runs {@code work} over a {@link LedgerScan} on a connection of this process, so that planning reads (a what-if
     * replay) work while this ledger holds the file, which no other process may open. Blocks: call it off the event
     * loop. The ledger cannot close under a running scan (close waits for it).
     */
    public <T> T scan(ScanWork<T> work) throws Exception {
        lifecycle.readLock().lock();
        try {
            if (closed) throw new IllegalStateException("the ledger is closed");
            try (LedgerScan scan = LedgerScan.over(root.duplicate())) {
                return work.apply(scan);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Reads a result set into a value. */
    interface Rows<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** Runs one parameterised SELECT on a fresh read connection (committed rows only). */
    <T> T query(String sql, List<Object> params, Rows<T> rows) {
        return read(conn -> {
            try (PreparedStatement p = conn.prepareStatement(sql)) {
                bind(p, params);
                try (ResultSet rs = p.executeQuery()) {
                    return rows.read(rs);
                }
            }
        });
    }

    interface Read<T> {
        T run(DuckDBConnection conn) throws SQLException;
    }

    <T> T read(Read<T> work) {
        lifecycle.readLock().lock();
        try {
            if (closed) throw new IllegalStateException("the ledger is closed");
            try (DuckDBConnection conn = (DuckDBConnection) root.duplicate()) {
                return work.run(conn);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("ledger query failed: " + e.getMessage(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * A small write outside the ledger's writer (a budget, an alert, an outcome): refused before it starts while the
     * disk has less free space than {@code ledger.min_free_mb}, as the writer's commits are, so DuckDB never meets a
     * full disk (its out-of-space path is not safe, see "Reliability"); one statement, so nothing is half-written.
     */
    <T> T write(String what, Read<T> work) {
        String low = lowSpace();
        if (low != null) throw new StorageFullException(what + " was not saved: " + low + "; free space and retry");
        try {
            return read(work);
        } catch (IllegalStateException e) {
            // space ran out between the check and the write: DuckDB rolled the statement back
            if (String.valueOf(e.getMessage()).contains("No space left on device")) {
                throw new StorageFullException(what + " was not saved: the ledger's disk is full; free space and retry");
            }
            throw e;
        }
    }

    private static void bind(PreparedStatement p, List<Object> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            Object v = params.get(i);
            if (v instanceof Long l) p.setLong(i + 1, l); else p.setObject(i + 1, v);
        }
    }

    private static LedgerEntry entry(ResultSet rs) throws SQLException {
        long micros = rs.getLong(1);
        @SuppressWarnings("unchecked")
        Map<String, String> tags = (Map<String, String>) rs.getObject(4);
        Usage usage = new Usage(rs.getLong(10), rs.getLong(11), rs.getLong(12), rs.getLong(13), rs.getLong(14),
                rs.getLong(15));
        long ttft = rs.getLong(21);
        if (rs.wasNull()) ttft = -1;
        return new LedgerEntry(
                Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L),
                rs.getString(2), rs.getString(3), tags, rs.getString(5), rs.getString(6), rs.getString(7),
                rs.getString(8), rs.getString(9), usage, money(rs.getBigDecimal(16)), rs.getString(17),
                rs.getInt(18), rs.getString(19), rs.getLong(20), ttft, rs.getBoolean(22), rs.getBoolean(23),
                rs.getString(24), money(rs.getBigDecimal(25)), rs.getBoolean(26), attempt(rs));
    }

    /** Null for a request's only attempt at a plain model (no reason, no upstream model recorded). */
    private static LedgerEntry.Attempt attempt(ResultSet rs) throws SQLException {
        int number = rs.getInt(27);
        String reason = rs.getString(28);
        String upstream = rs.getString(29);
        return number <= 1 && reason == null && upstream == null ? null : new LedgerEntry.Attempt(number, reason, upstream);
    }

    /** The stored DECIMAL without its padding zeros, never in exponent form (so 1.000000000000 → 1, not 1E+0). */
    private static BigDecimal money(BigDecimal stored) {
        if (stored == null) return BigDecimal.ZERO;
        BigDecimal v = stored.stripTrailingZeros();
        return v.scale() < 0 ? v.setScale(0) : v;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception e) {
            log.warn("closing a ledger connection failed", e);
        }
    }
}
