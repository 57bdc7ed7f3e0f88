package dev.tollgate.store.postgres;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.LedgerHealth;
import dev.tollgate.store.Outcome;
import dev.tollgate.store.OutcomeRow;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.duckdb.JournalCodec;
import dev.tollgate.store.duckdb.LedgerJournal;
import dev.tollgate.store.duckdb.LedgerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The ledger a group of replicas shares, in PostgreSQL (issue 16): the same rows, rollups, outcomes and answers as the
 * embedded {@link dev.tollgate.store.duckdb.DuckDbLedger}, so every replica's reports, dashboard and exports read the
 * same numbers.
 *
 * <p><b>Writes.</b> {@link #append} never touches the network: it writes the row into this replica's journal
 * ({@link LedgerJournal}, memory-mapped, in the data directory) and offers it to a bounded queue that one writer
 * thread drains in batches ({@link PgLedgerWriter}). While PostgreSQL is down or slow the writer keeps its batch and
 * retries, the queue fills and further rows wait in the journal only (the bounded spool on disk,
 * {@code ledger.spool_max_mb}); they are written when the database is back, or by the next start after a restart or a
 * crash. Rows written twice (a replay) count once: {@code requests} is unique on (request id, attempt, time).
 * {@link #health()} says how many rows wait and for how long, for /health and /metrics.
 *
 * <p><b>Reads</b> run on the connection pool and see committed rows of every replica. Costs are exact
 * {@link BigDecimal}s with trailing zeros stripped; times keep microsecond precision.
 */
public final class PgLedger implements Ledger {

    private static final Logger log = LoggerFactory.getLogger(PgLedger.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, String>> TAGS = new TypeReference<>() { };

    static final String ENTRY_COLUMNS = """
            time, request_id, key_name, tags::text, api, provider, deployment, requested_model, served_model,
            input_tokens, cached_input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,
            reasoning_tokens, cost_usd, price_version, status, error, latency_us, ttft_us, stream, estimated, cache, saved_usd,
            unpriced, attempt, attempt_reason, upstream_model""";

    /**
     * Rows that are not a shadow call (as {@code DuckDbLedger.NOT_SHADOW}): a shadow call shares the client's request id
     * but is tagged {@code shadow=ROUTE}, and a look-up by request id means the client's own request.
     */
    static final String NOT_SHADOW = "tags ->> 'shadow' IS NULL";

    private final PgDatabase db;
    private final LedgerJournal journal;
    private final PgLedgerWriter writer;
    private final LedgerOptions options;

    private PgLedger(PgDatabase db, LedgerJournal journal, PgLedgerWriter writer, LedgerOptions options) {
        this.db = db;
        this.journal = journal;
        this.writer = writer;
        this.options = options;
    }

    /**
     * Starts the writer on {@code db} (migrated; it stays the caller's to close, after this ledger) with this replica's
     * journal in {@code journalDir}. Rows a previous run left in the journal are written first (those already in the
     * ledger count once).
     */
    public static PgLedger open(PgDatabase db, Path journalDir, LedgerOptions options) {
        LedgerJournal journal = new LedgerJournal(journalDir.toAbsolutePath(), options.spoolMaxBytes());
        if (!journal.leftovers().isEmpty()) {
            log.info("ledger journal at {}: {} segments left by a previous run are written to the shared ledger first",
                    journalDir, journal.leftovers().size());
        }
        PgLedgerWriter writer = new PgLedgerWriter(db, options.memoryRows(), journal);
        writer.start();
        return new PgLedger(db, journal, writer, options);
    }

    /**
     * A ledger that only reads (the CLI's reports and exports, straight from PostgreSQL): no writer, no journal;
     * {@link #append} refuses. Any number of them may read while replicas write.
     */
    public static PgLedger reader(PgDatabase db) {
        return new PgLedger(db, null, null, LedgerOptions.DEFAULTS);
    }

    /** As the embedded ledger: journal first (the spool), then the queue, in the same order for both. */
    @Override
    public void append(LedgerEntry entry) {
        if (entry == null) throw new NullPointerException("entry");
        if (writer == null) throw new UnsupportedOperationException("this PostgreSQL ledger only reads");
        JournalCodec.Line line = JournalCodec.encodeInPlace(entry);
        synchronized (journal) {
            boolean journaled = journal.append(line.bytes(), line.length(), entry.time());
            if (!writer.offer(entry)) {
                if (journaled) journal.overflowed(); else writer.dropped();
            }
            for (long seq; (seq = journal.nextUnannounced()) >= 0 && writer.offerSegment(seq); ) journal.announced(seq);
        }
    }

    /**
     * Waits until every row appended before it, spooled ones included, is in PostgreSQL; while the database is
     * unreachable it waits at most about 2 s and returns with the rows still kept (see {@link #health()}).
     */
    @Override
    public void flush() {
        if (writer == null) return;
        announceSegments();
        writer.flush();
    }

    private void announceSegments() {
        List<Long> closed;
        synchronized (journal) {
            closed = journal.closeAndTakeUnannounced();
        }
        for (int i = 0; i < closed.size(); i++) {
            if (!writer.putSegment(closed.get(i))) {
                synchronized (journal) {
                    journal.unannounced(closed.subList(i, closed.size()));
                }
                return;
            }
        }
    }

    @Override
    public LedgerHealth health() {
        if (writer == null) return LedgerHealth.OK;
        String outage = writer.outage();
        String journalFailure = journal.failure();
        long spooled = journal.spooledRows();
        boolean cannotKeep = writer.full() && journalFailure != null;
        StringBuilder reason = new StringBuilder();
        if (outage != null) reason.append("the shared ledger (PostgreSQL) cannot be written: ").append(outage);
        if (journalFailure != null) reason.append(reason.isEmpty() ? "" : "; ").append(journalFailure);
        if (spooled > 0) reason.append(reason.isEmpty() ? "" : "; ").append(spooled).append(" rows wait in the spool");
        if (cannotKeep) reason.append("; memory (").append(options.memoryRows()).append(" rows) is full: new rows cannot be kept");
        boolean degraded = !reason.isEmpty();
        return new LedgerHealth(degraded, cannotKeep && !options.serveOnFailure(), degraded ? reason.toString() : null,
                writer.queuedRows(), spooled, writer.droppedRows() + writer.failedRows(), writer.stalledSeconds());
    }

    /** Bytes the journal (spool) holds on disk now. */
    public long spoolBytes() {
        return journal == null ? 0 : journal.bytes();
    }

    /** Rows this replica's writer inserted since it opened (replayed duplicates not counted). */
    public long writtenRows() {
        return writer == null ? 0 : writer.writtenRows();
    }

    /** Nanoseconds the writer thread spent writing batches since it opened (the benchmark's writer cost). */
    public long writerBusyNanos() {
        return writer == null ? 0 : writer.busyNanos();
    }

    /** The database this ledger writes to. */
    public PgDatabase database() {
        return db;
    }

    private PgPromptLog prompts;
    private PgShadowLog shadows;
    private boolean logsClosed;

    /** The prompt log beside the ledger (every replica's sampled prompts), opened on first use, closed with the ledger. */
    @Override
    public synchronized PgPromptLog prompts() {
        if (logsClosed) throw new IllegalStateException("the ledger is closed");
        if (prompts == null) prompts = new PgPromptLog(db);
        return prompts;
    }

    /** Shadowed answers beside the ledger (every replica's), opened on first use, closed with the ledger. */
    @Override
    public synchronized PgShadowLog shadows() {
        if (logsClosed) throw new IllegalStateException("the ledger is closed");
        if (shadows == null) shadows = new PgShadowLog(db);
        return shadows;
    }

    /** Rows before this time are answered from the rollups; null when none are. */
    Instant sealedUntil() {
        if (writer != null) return writer.sealedUntil();
        try (Connection c = db.connection()) {
            return PgRollup.sealedUntil(c);
        } catch (SQLException e) {
            throw new IllegalStateException("ledger query failed: " + e.getMessage(), e);
        }
    }

    @Override
    public List<SpendRow> spend(SpendQuery query) {
        PgSpendSql.Sql spend = PgSpendSql.spend(query, sealedUntil());
        return query(spend.sql(), spend.parameters(), rs -> {
            List<SpendRow> rows = new ArrayList<>();
            int dims = spend.groupBy().size();
            while (rs.next()) {
                long requests = rs.getLong(dims + 1);
                long attempts = rs.getLong(dims + 9);
                // the single all-rows group of an ungrouped query over nothing (a group of attempts whose requests all
                // stood elsewhere, as a cascade's cheap tier that always escalated, is kept)
                if (attempts == 0) continue;
                Map<String, String> group = new LinkedHashMap<>();
                for (int i = 0; i < dims; i++) group.put(spend.groupBy().get(i), rs.getString(i + 1));
                rows.add(new SpendRow(Collections.unmodifiableMap(group), requests, rs.getLong(dims + 2),
                        rs.getLong(dims + 3), rs.getLong(dims + 4), rs.getLong(dims + 5), rs.getLong(dims + 6),
                        money(rs.getBigDecimal(dims + 7)), money(rs.getBigDecimal(dims + 8)), attempts));
            }
            return rows;
        });
    }

    @Override
    public List<LedgerEntry> recent(int limit) {
        if (limit < 0) throw new IllegalArgumentException("limit must not be negative");
        return query("SELECT " + ENTRY_COLUMNS + " FROM requests ORDER BY time DESC, seq DESC LIMIT ?", List.of((long) limit),
                PgLedger::entries);
    }

    @Override
    public Optional<LedgerEntry> find(String requestId) {
        if (requestId == null) return Optional.empty();
        return query("SELECT " + ENTRY_COLUMNS + " FROM requests WHERE request_id = ? AND " + NOT_SHADOW
                        + " ORDER BY time DESC, attempt DESC LIMIT 1",
                List.of(requestId), rs -> entries(rs).stream().findFirst());
    }

    @Override
    public List<LedgerEntry> attempts(String requestId) {
        if (requestId == null) return List.of();
        return query("SELECT " + ENTRY_COLUMNS + " FROM requests WHERE request_id = ? AND " + NOT_SHADOW + " ORDER BY attempt, time",
                List.of(requestId), PgLedger::entries);
    }

    @Override
    public List<LedgerEntry> audit(SpendQuery query, int limit) {
        if (limit < 0) throw new IllegalArgumentException("limit must not be negative");
        PgSpendSql.Sql audit = PgSpendSql.audit(query, limit);
        return query(audit.sql(), audit.parameters(), PgLedger::entries);
    }

    /**
     * The rows of {@code [from, to)} (either end may be null), oldest first, streamed through a cursor so that a large
     * range never sits in memory (a FOCUS export through an embedded copy).
     */
    public void forEach(Instant from, Instant to, java.util.function.Consumer<LedgerEntry> sink) {
        List<Object> params = new ArrayList<>();
        String sql = "SELECT " + ENTRY_COLUMNS + " FROM requests WHERE " + PgSpendSql.range("time", from, to, params)
                + " ORDER BY time, seq";
        try (Connection c = db.connection()) {
            c.setAutoCommit(false); // a cursor: rows arrive in fetches, not all at once
            try (PreparedStatement p = c.prepareStatement(sql)) {
                p.setFetchSize(4096);
                for (int i = 0; i < params.size(); i++) p.setObject(i + 1, params.get(i));
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) sink.accept(entry(rs));
                }
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("ledger query failed: " + e.getMessage(), e);
        }
    }

    /**
     * Writes the charges of {@code [from, to)} as a FOCUS 1.3 dataset, exactly as the embedded ledger does
     * ({@link dev.tollgate.store.duckdb.DuckDbLedger#exportFocus}): the range's rows (whole hours) are streamed into a
     * scratch embedded ledger that writes the file. Returns the number of charge rows.
     */
    public long exportFocus(Instant from, Instant to, String format, Path out) {
        Instant a = from == null ? null : from.truncatedTo(java.time.temporal.ChronoUnit.HOURS);
        Instant b = to == null ? null : to.truncatedTo(java.time.temporal.ChronoUnit.HOURS);
        if (b != null && b.isBefore(to)) b = b.plus(1, java.time.temporal.ChronoUnit.HOURS);
        return inCopy(a, b, copy -> copy.exportFocus(from, to, format, out));
    }

    /**
     * Runs a planning read (a what-if replay, a capacity plan: {@link dev.tollgate.store.duckdb.LedgerScan}'s queries,
     * written for DuckDB) over the rows of {@code [from, to)} (either end may be null): they are streamed into a scratch
     * embedded ledger and {@code work} scans that, so both stores answer with the same code. Blocks for the copy, which
     * grows with the range; call it off the event loop.
     */
    public <T> T scan(Instant from, Instant to, dev.tollgate.store.duckdb.DuckDbLedger.ScanWork<T> work) throws Exception {
        return inCopy(from, to, copy -> copy.scan(work));
    }

    private interface CopyWork<T> {
        T apply(dev.tollgate.store.duckdb.DuckDbLedger copy) throws Exception;
    }

    /** Streams the rows of {@code [from, to)} into a scratch embedded ledger, runs {@code work} on it, deletes it. */
    private <T> T inCopy(Instant from, Instant to, CopyWork<T> work) {
        Path scratch;
        try {
            scratch = java.nio.file.Files.createTempDirectory("tollgate-pg-copy");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot prepare a scratch copy of the shared ledger", e);
        }
        try (dev.tollgate.store.duckdb.DuckDbLedger copy = dev.tollgate.store.duckdb.DuckDbLedger.open(scratch)) {
            forEach(from, to, copy::append);
            copy.flush();
            return work.apply(copy);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        } finally {
            try (var files = java.nio.file.Files.walk(scratch)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException ignored) {
                // a scratch directory in the temporary directory
            }
        }
    }

    @Override
    public void recordOutcome(Outcome outcome) {
        try (Connection c = db.connection();
             PreparedStatement p = c.prepareStatement("INSERT INTO outcomes VALUES (?, ?, ?, ?, ?)")) {
            p.setObject(1, timestamp(outcome.time()));
            p.setString(2, outcome.requestId());
            p.setString(3, outcome.decision());
            p.setBoolean(4, outcome.success());
            p.setBigDecimal(5, outcome.valueUsd() == null ? null : PgLedgerWriter.money(outcome.valueUsd()));
            p.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("recording the outcome failed: " + e.getMessage(), e);
        }
    }

    @Override
    public List<OutcomeRow> outcomes(SpendQuery query) {
        PgSpendSql.Sql outcomes = PgSpendSql.outcomes(query);
        return query(outcomes.sql(), outcomes.parameters(), rs -> {
            List<OutcomeRow> rows = new ArrayList<>();
            int dims = outcomes.groupBy().size();
            while (rs.next()) {
                if (rs.getLong(dims + 3) == 0) continue;
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
     * Writes everything queued (or leaves it in the journal while PostgreSQL is unreachable), the prompt log's and shadow
     * answers' first; the database stays open.
     */
    @Override
    public void close() {
        synchronized (this) {
            logsClosed = true;
            if (prompts != null) prompts.close();
            if (shadows != null) shadows.close();
        }
        if (writer == null) return;
        if (!writer.stopped()) announceSegments();
        writer.close();
        synchronized (journal) {
            journal.close(!writer.abandoned());
        }
        if (writer.droppedRows() > 0 || writer.failedRows() > 0) {
            log.warn("shared ledger closed; {} rows were dropped and {} failed to write since it opened",
                    writer.droppedRows(), writer.failedRows());
        }
    }

    /** Reads a result set into a value. */
    interface Rows<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** Runs one parameterised SELECT on a pooled connection. */
    <T> T query(String sql, List<Object> params, Rows<T> rows) {
        try (Connection c = db.connection(); PreparedStatement p = c.prepareStatement(sql)) {
            for (int i = 0; i < params.size(); i++) p.setObject(i + 1, params.get(i));
            try (ResultSet rs = p.executeQuery()) {
                return rows.read(rs);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("ledger query failed: " + e.getMessage(), e);
        }
    }

    static List<LedgerEntry> entries(ResultSet rs) throws SQLException {
        List<LedgerEntry> out = new ArrayList<>();
        while (rs.next()) out.add(entry(rs));
        return out;
    }

    private static LedgerEntry entry(ResultSet rs) throws SQLException {
        Map<String, String> tags;
        try {
            tags = JSON.readValue(rs.getString(4), TAGS);
        } catch (IOException e) {
            throw new SQLException("unreadable tags in the ledger: " + e.getMessage(), e);
        }
        Usage usage = new Usage(rs.getLong(10), rs.getLong(11), rs.getLong(12), rs.getLong(13), rs.getLong(14), rs.getLong(15));
        long ttft = rs.getLong(21);
        if (rs.wasNull()) ttft = -1;
        int number = rs.getInt(27);
        String reason = rs.getString(28);
        String upstream = rs.getString(29);
        LedgerEntry.Attempt attempt = number <= 1 && reason == null && upstream == null ? null
                : new LedgerEntry.Attempt(number, reason, upstream);
        return new LedgerEntry(rs.getObject(1, LocalDateTime.class).toInstant(ZoneOffset.UTC), rs.getString(2),
                rs.getString(3), tags, rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
                usage, money(rs.getBigDecimal(16)), rs.getString(17), rs.getInt(18), rs.getString(19), rs.getLong(20), ttft,
                rs.getBoolean(22), rs.getBoolean(23), rs.getString(24), money(rs.getBigDecimal(25)), rs.getBoolean(26), attempt);
    }

    /** The stored NUMERIC without its padding zeros, never in exponent form (as the embedded ledger answers). */
    static BigDecimal money(BigDecimal stored) {
        if (stored == null) return BigDecimal.ZERO;
        BigDecimal v = stored.stripTrailingZeros();
        return v.scale() < 0 ? v.setScale(0) : v;
    }

    /** Microseconds since the epoch, floored (the ledger's precision). */
    static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }

    static Instant instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }

    /** A UTC timestamp for PostgreSQL's {@code timestamp} columns, at the ledger's microsecond precision. */
    static LocalDateTime timestamp(Instant t) {
        return LocalDateTime.ofInstant(instant(micros(t)), ZoneOffset.UTC);
    }
}
