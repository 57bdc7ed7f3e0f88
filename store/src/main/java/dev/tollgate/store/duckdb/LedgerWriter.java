package dev.tollgate.store.duckdb;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The single thread that owns the write connection. It takes rows two ways:
 * <ul>
 *   <li>From the journal ({@link LedgerJournal}), where every row is written first: the thread takes closed segments
 *       and has DuckDB read them itself, {@code INSERT … SELECT … FROM read_json(segments)} in one transaction, once a
 *       row group's worth waits ({@link #ROW_GROUP_ROWS}), or the oldest waiting row is {@link #BULK_DELAY_NANOS}
 *       old, or a reader flushes. A row group taken whole is written compressed straight to the file, about 4 µs of
 *       CPU a row against some 6.5 through the appender (BENCHMARKS.md, "The ledger writer takes the journal in
 *       bulk"), and no row waits in the heap.</li>
 *   <li>From a bounded queue, only the rows the journal could not take (its disk full or failing): batches through
 *       DuckDB's Appender, one transaction per batch, at most {@link #MAX_BATCH} rows or {@link #MAX_DELAY_NANOS}
 *       after the batch's first row, whichever comes first.</li>
 * </ul>
 *
 * <p>{@link #flush()} and {@link #close()} send a marker through the queue, so they wait for exactly the rows queued
 * before them, and take every journal segment, the open one closed first. A segment is deleted once its rows are
 * committed; one that may hold a torn line or rows already in the ledger (left by a process that died) is read line by
 * line and written through the appender, skipping rows the ledger has, as is every segment of a bulk insert that
 * failed. A batch that fails for want of storage is kept and retried until it commits (rows already in the ledger are
 * skipped on a retry); one that fails otherwise is written again row by row, and the rows refused twice are logged at
 * ERROR and counted as failed; the thread keeps running.
 *
 * <p>A batch costs only its raw rows: the rollups are made in SQL, a few hours at a time, once the hours are sealed
 * ({@link Rollup#seal}), in a transaction of their own; a row for an hour already sealed rolls that hour up again in
 * its batch's transaction ({@link Rollup#reseal}). A bulk insert is one transaction; the appender's rows are not:
 * DuckDB's appender commits what it flushes whatever the connection's transaction, so after a failed batch the rows
 * the ledger has are not written again, and their sealed hours are rolled up again on their own.
 */
final class LedgerWriter {

    private static final Logger log = LoggerFactory.getLogger(LedgerWriter.class);

    /**
     * A batch (one appender flush per 2048 rows, one commit) costs DuckDB a few milliseconds of CPU whatever its rows
     * (it plans an INSERT for each flush, and logs and commits): at 100 ms that was ten batches a second at any rate,
     * some 5 µs of the writer's CPU per row at 5,000 rows/s. Readers that must see a row at once flush first.
     */
    static final int MAX_BATCH = 8192;
    static final long MAX_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** How long the thread naps between looks at the queue while a batch fills. */
    static final long NAP_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DROP_REPORT_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * Journal rows wait at most this long for a row group's worth to gather (at 12,288 rows a second and more, a row
     * group fills first); readers that must see rows at once flush.
     */
    static final long BULK_DELAY_NANOS = TimeUnit.SECONDS.toNanos(10);
    /**
     * Fewer journal rows than this (a flush, a quiet spell) are read in Java and written through the appender: DuckDB's
     * {@code read_json} costs milliseconds whatever its size (a flush of one row took 12 against 4 ms) and short of a
     * row group saves nothing per row.
     */
    static final int MIN_BULK_ROWS = 4096;

    /** After a commit failed for want of storage, try again this often (close and flush wake it at once). */
    static final long STORAGE_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** A flush or stop request; counted down once every row queued before it is committed. */
    private record Marker(CountDownLatch done, boolean stop) {
        Marker(boolean stop) {
            this(new CountDownLatch(1), stop);
        }
    }

    private final DuckDBConnection conn;
    private final BlockingQueue<Object> queue;
    private final int capacity;
    private final LedgerJournal journal;
    private final java.nio.file.FileStore disk;
    private final long minFreeBytes;
    private final DuckDbLedger.BeforeCommit beforeCommit;
    /** Why commits fail for want of storage, or null while they succeed. */
    private volatile String storageFailure;
    private volatile long failingSince;
    /** Rows in memory (queued, or in the batch being filled or written) until written or given up (health checks). */
    private final java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();
    /** How many of the batch's rows came from memory (the rest, from the journal, were never held). */
    private int heldInBatch;
    /** Rows the writer gave up on at close while storage failed: they stay in the journal for the next start. */
    private volatile boolean abandoned;
    /** The writer wrote everything before the stop marker (abandoned aside) and ended. */
    private boolean finished;
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    /** Rows written by bulk inserts of the journal (the rest went through the appender). */
    private final AtomicLong bulkRows = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set when closing begins or the thread ends: from then on appends are counted as dropped. */
    private volatile boolean stopped;

    private final List<Object> drained = new ArrayList<>(MAX_BATCH);
    private DuckDBAppender appender;
    /** The rollups' watermark (see {@link Rollup}): written by this thread after each commit, read by readers. */
    private volatile Instant sealedUntil;
    /** Rows in {@code requests}: where the next batch lands in its row groups (see {@link #ROW_GROUP_ROWS}). */
    private long tableRows;
    /** A row group filled and has not been checkpointed yet. */
    private boolean checkpointDue;
    /** The newest row time written, epoch micros. */
    private long newest = Long.MIN_VALUE;
    /** Sealed hours that rows of the current batch belong to (rows later than the grace). */
    private final java.util.TreeSet<Long> lateHours = new java.util.TreeSet<>();
    private long nextSealTry = System.nanoTime();

    /** After a failed seal, wait this long before trying again. */
    static final long SEAL_RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Seal at most this often, unless this many hours are waiting (or the writer closes). */
    static final long SEAL_EVERY_NANOS = TimeUnit.SECONDS.toNanos(30);
    static final long SEAL_SPAN_MICROS = 24 * Rollup.HOUR_MICROS;
    private long lastSeal = System.nanoTime();
    /** Closed journal segments taken and not written yet, oldest first, and their rows. */
    private final List<LedgerJournal.Closed> waiting = new ArrayList<>();
    private long waitingRows;
    private long reportedDrops;
    private long lastDropReport = System.nanoTime() - DROP_REPORT_NANOS;

    /**
     * Takes ownership of {@code conn}'s transactions: it must not be used by anyone else. {@code disk} is checked for
     * {@code minFreeBytes} before each commit (null: not checked).
     */
    LedgerWriter(DuckDBConnection conn, int capacity, LedgerJournal journal, java.nio.file.FileStore disk,
                 long minFreeBytes, DuckDbLedger.BeforeCommit beforeCommit) throws SQLException {
        this.conn = conn;
        this.capacity = capacity;
        this.journal = journal;
        this.disk = disk;
        this.minFreeBytes = minFreeBytes;
        this.beforeCommit = beforeCommit == null ? () -> { } : beforeCommit;
        conn.setAutoCommit(false);
        sealedUntil = Rollup.sealedUntil(conn);
        try (var s = conn.createStatement();
             var rs = s.executeQuery("SELECT epoch_us(max(time)), count(*) FROM requests")) {
            rs.next();
            long max = rs.getLong(1);
            if (!rs.wasNull()) newest = max;
            tableRows = rs.getLong(2);
        }
        conn.commit();
        this.queue = new LinkedBlockingQueue<>(capacity);
        this.thread = Thread.ofPlatform().name("tollgate-ledger-writer").daemon(true).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Queues a row the journal could not take, without ever blocking; false when the queue is full or the writer stopped. */
    boolean offer(LedgerEntry entry) {
        if (stopped) return false;
        if (held.incrementAndGet() <= capacity && queue.offer(entry)) return true;
        held.decrementAndGet();
        return false;
    }

    boolean stopped() {
        return stopped;
    }

    /** Counts a row that was kept nowhere. */
    void dropped() {
        dropped.incrementAndGet();
    }

    /** Memory is full: a row the journal cannot take either is lost. */
    boolean full() {
        return held.get() >= capacity;
    }

    int queuedRows() {
        return held.get();
    }

    /** Why commits fail now for want of storage, or null. */
    String storageFailure() {
        return storageFailure;
    }

    /** Seconds since commits began to fail; 0 while they succeed. */
    double stalledSeconds() {
        return storageFailure == null ? 0 : (System.nanoTime() - failingSince) / 1e9;
    }

    /** Whether rows may be left in the journal at close (storage failed, or the thread ended early): the next start replays them. */
    boolean abandoned() {
        return abandoned;
    }

    /** Blocks until every row appended before the call is committed (or the writer has stopped). */
    void flush() {
        if (stopped) return;
        Marker m = send(new Marker(false), false);
        if (m != null) await(m, false);
    }

    /** Writes everything queued, then stops the thread. Idempotent. */
    void close() {
        if (!closed.compareAndSet(false, true)) return;
        stopped = true;
        if (!thread.isAlive()) return;
        await(send(new Marker(true), true), true);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Rows before this time are answered from the rollups; null when none are. Any value read stays valid. */
    Instant sealedUntil() {
        return sealedUntil;
    }

    long droppedRows() {
        return dropped.get();
    }

    long failedRows() {
        return failed.get();
    }

    long bulkRows() {
        return bulkRows.get();
    }

    /**
     * Queues a marker, waiting for room (flush and close may block). While writes fail for want of storage a flush
     * gives up after {@link #FLUSH_PATIENCE_NANOS} and returns null: the rows are kept, and a caller such as an admin
     * query must not hang for as long as the disk stays full. Close always waits (the writer then stops trying).
     */
    private <T> T send(T marker, boolean always) {
        try {
            long deadline = System.nanoTime() + FLUSH_PATIENCE_NANOS;
            while (!queue.offer(marker, 100, TimeUnit.MILLISECONDS)) {
                if (!always && storageFailure != null && System.nanoTime() - deadline > 0) return null;
                if (!thread.isAlive()) return null;
            }
            LockSupport.unpark(thread);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the ledger writer", e);
        }
        return marker;
    }

    /** How long a flush waits while writes fail for want of storage. */
    static final long FLUSH_PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private void await(Marker marker, boolean always) {
        if (marker == null) return;
        try {
            long deadline = System.nanoTime() + FLUSH_PATIENCE_NANOS;
            while (!marker.done().await(100, TimeUnit.MILLISECONDS)) {
                if (!thread.isAlive()) throw new IllegalStateException("the ledger writer thread has stopped");
                if (!always && storageFailure != null && System.nanoTime() - deadline > 0) return; // rows are kept
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the ledger writer", e);
        }
    }

    /**
     * Tag sets repeat (they come from a few keys and a few callers' headers), so their JSON is kept instead of
     * written again for every row. Only the writer thread uses it; it is least recently used entries go beyond 4096.
     */
    private final Map<Map<String, String>, String> tagsJsonCache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Map<String, String>, String> eldest) {
            return size() > 4096;
        }
    };

    private void run() {
        List<LedgerEntry> batch = new ArrayList<>(MAX_BATCH);
        long deadline = 0;
        try {
            for (long seq : journal.leftovers()) replay(seq, true, batch);
            while (true) {
                if (batch.isEmpty()) {
                    Object first = queue.poll(MAX_DELAY_NANOS, TimeUnit.NANOSECONDS); // idle: the next row wakes it
                    if (first != null) drained.add(first);
                } else {
                    // Filling a batch: nap rather than wait on the queue, whose every offer would wake this thread (a
                    // futex call on the event loop and a context switch per row); flush and close unpark it at once.
                    long left = deadline - System.nanoTime();
                    if (left > 0 && queue.size() < MAX_BATCH) LockSupport.parkNanos(this, Math.min(left, NAP_NANOS));
                }
                queue.drainTo(drained, MAX_BATCH - drained.size());
                for (int i = 0; i < drained.size(); i++) {
                    if (drained.get(i) instanceof LedgerEntry e) {
                        if (batch.isEmpty()) deadline = System.nanoTime() + MAX_DELAY_NANOS;
                        batch.add(e);
                        heldInBatch++;
                        if (full(batch)) write(batch);
                    } else if (drained.get(i) instanceof Marker m) {
                        write(batch);
                        takeJournal(true, batch);
                        seal(m.stop());
                        m.done().countDown();
                        if (m.stop()) {
                            drained.subList(0, i + 1).clear(); // what follows is released in finally
                            finished = true;
                            return;
                        }
                    }
                }
                drained.clear();
                if (!batch.isEmpty() && System.nanoTime() - deadline >= 0) write(batch);
                takeJournal(false, batch);
                seal(false);
                reportDrops(false);
            }
        } catch (InterruptedException e) {
            log.warn("ledger writer interrupted; {} queued rows were not written", queue.size() + batch.size());
        } catch (Throwable t) {
            failed.addAndGet(batch.size());
            log.error("ledger writer died; {} queued rows were not written", queue.size() + batch.size(), t);
        } finally {
            stopped = true;
            if (!finished) abandoned = true; // the journal's segments not written yet stay for the next start
            reportDrops(true);
            closeAppender();
            releaseMarkers();
        }
    }

    /**
     * DuckDB's rows per row group ({@code 122,880}). Appended rows stay in memory, uncompressed, until a checkpoint
     * compresses them into the file, and a checkpoint rewrites the whole of a row group it finds partly filled. So a
     * batch ends where a row group does, and the writer checkpoints right then ({@link #checkpointIfRowGroupFull}):
     * each row group is compressed once, when full, and the rows waiting for it (about 30 MB) stay under DuckDB's
     * memory limit (64 MiB), which at the default checkpoint threshold (64 MB of log, some 200,000 rows) they did
     * not: DuckDB spilled them to temporary files and read them back, about a quarter of the writer's time
     * (BENCHMARKS.md, "Where the time goes"). The checkpoint threshold still bounds the log in between.
     */
    static final long ROW_GROUP_ROWS = 122_880;

    /** Whether the batch must be written now: it is as long as a batch gets, or it fills the table's row group. */
    private boolean full(List<LedgerEntry> batch) {
        return batch.size() >= MAX_BATCH || (tableRows + batch.size()) % ROW_GROUP_ROWS == 0;
    }

    /**
     * Writes and clears the batch in one transaction. If that fails, the batch is written again row by row, so a row
     * the database refuses costs only itself, never the rows batched with it; those refused twice are counted and
     * logged.
     */
    private void write(List<LedgerEntry> batch) {
        if (batch.isEmpty()) return;
        try {
            writeOrWait(batch);
        } catch (Exception first) {
            log.warn("ledger write of {} rows failed, writing them one by one: {}", batch.size(), first.toString());
            java.util.Set<String> present = alreadyWritten(batch);
            Instant sealed = sealedUntil;
            java.util.TreeSet<Long> hoursToRollUp = new java.util.TreeSet<>();
            for (LedgerEntry row : batch) {
                if (present.contains(key(row))) { // its sealed hour's roll-up may be what failed: done again below
                    long t = epochMicros(row.time());
                    if (sealed != null && t < epochMicros(sealed)) hoursToRollUp.add(Math.floorDiv(t, Rollup.HOUR_MICROS) * Rollup.HOUR_MICROS);
                    continue;
                }
                try {
                    appendAll(List.of(row));
                } catch (Exception second) {
                    failed.incrementAndGet();
                    log.error("ledger row {} could not be written ({} rows lost in all)", row.requestId(), failed.get(),
                            second);
                }
            }
            if (!hoursToRollUp.isEmpty()) rollUpAgain(hoursToRollUp, sealed);
        }
        batch.clear();
        held.addAndGet(-heldInBatch);
        heldInBatch = 0;
    }

    /**
     * Commits the batch; while that fails for want of storage (a full disk), keeps the batch and tries again every
     * {@link #STORAGE_RETRY_NANOS}, so the queue fills and further rows go to the journal (the spool). At close it
     * gives up: the rows stay in the journal for the next start. Other failures are thrown.
     */
    private void writeOrWait(List<LedgerEntry> batch) throws SQLException {
        boolean retry = false;
        while (true) {
            try {
                if (retry) {
                    // a commit that failed late may still have landed: never write a row twice
                    java.util.Set<String> present = present(batch);
                    batch.removeIf(r -> present.contains(key(r)));
                    if (batch.isEmpty()) return;
                }
                retry = true;
                appendAll(batch);
                writesSucceed();
                return;
            } catch (SQLException e) {
                if (!isStorageFailure(e)) throw e;
                if (storageFailure == null) {
                    failingSince = System.nanoTime();
                    log.error("ALERT ledger writes fail for want of storage: {}; rows are kept in memory (up to {}) and in"
                            + " the journal at {} until they can be written", e.getMessage(), capacity, journal.dir());
                }
                storageFailure = e.getMessage();
                if (stopped) {
                    abandoned = true;
                    log.error("ledger closing while writes fail: the rows not written stay in the journal at {} for the"
                            + " next start{}", journal.dir(), heldInBatch == 0 ? ""
                            : "; " + heldInBatch + " that the journal could not take are lost");
                    dropped.addAndGet(heldInBatch);
                    return;
                }
                LockSupport.parkNanos(this, STORAGE_RETRY_NANOS);
            }
        }
    }

    private void writesSucceed() {
        if (storageFailure == null) return;
        log.warn("ALERT ledger writes succeed again after {} s; rows kept meanwhile are being written",
                Math.round(stalledSeconds()));
        storageFailure = null;
    }

    /** Whether a failure is the disk's (full, failing) rather than the row's: such rows are kept and retried. */
    static boolean isStorageFailure(SQLException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("IO Error") || m.contains("No space left") || m.contains("Disk full")
                || m.contains("disk is full") || m.contains("database has been invalidated");
    }

    /**
     * Writes the rows of journal segment {@code seq} through the appender, then deletes the segment. With
     * {@code skipPresent}, rows already in the ledger (a process died after committing them, or a commit failed late)
     * are skipped: a row is known by its request id and latency, so attempts of one request stay apart. Idempotent: a
     * replay cut short by a crash is simply done again.
     */
    private void replay(long seq, boolean skipPresent, List<LedgerEntry> batch) throws SQLException {
        write(batch);
        List<LedgerEntry> rows;
        try {
            rows = journal.read(seq);
        } catch (java.io.IOException e) {
            log.error("cannot read ledger journal segment {} (kept for the next start): {}", seq, e.toString());
            return;
        }
        if (!rows.isEmpty()) {
            java.util.Set<String> present = skipPresent ? present(rows) : java.util.Set.of();
            int written = 0;
            for (LedgerEntry row : rows) {
                if (present.contains(key(row))) continue;
                batch.add(row);
                written++;
                if (full(batch)) write(batch);
            }
            write(batch);
            if (abandoned) return;
            if (skipPresent && written > 0) {
                log.info("ledger journal: wrote {} rows of {} that were not in the ledger yet", written, rows.size());
            }
        }
        journal.delete(seq);
    }

    /**
     * Takes the journal's closed segments, and writes the rows waiting in them once a row group's worth waits, the
     * oldest has waited {@link #BULK_DELAY_NANOS}, or {@code now} (a flush or close), or at once while the journal or
     * the ledger's disk is short of room (the journal's rows are better in the ledger; a write that waits for space
     * says so in {@link #storageFailure()} without waiting for the delay). When one is due, the open segment is closed
     * and taken too.
     */
    private void takeJournal(boolean now, List<LedgerEntry> batch) throws SQLException {
        take(false);
        long since = Math.min(waiting.isEmpty() ? Long.MAX_VALUE : waiting.getFirst().openedAt(), journal.currentSince());
        boolean due = now || since != Long.MAX_VALUE && (System.nanoTime() - since >= BULK_DELAY_NANOS
                || journal.failure() != null || lowSpace() != null);
        if (due) take(true);
        if (waiting.isEmpty() || !due && waitingRows < ROW_GROUP_ROWS) return;
        boolean inBulk = waitingRows >= MIN_BULK_ROWS;
        List<LedgerJournal.Closed> bulk = new ArrayList<>();
        for (LedgerJournal.Closed c : waiting) {
            if (!c.clean()) replay(c.seq(), true, batch); // a torn line, or rows written already
            else if (inBulk) bulk.add(c);
            else replay(c.seq(), false, batch);
        }
        waiting.clear();
        waitingRows = 0;
        if (!bulk.isEmpty()) insert(bulk, batch);
    }

    private void take(boolean closeCurrent) {
        for (LedgerJournal.Closed c : journal.takeClosed(closeCurrent)) {
            waiting.add(c);
            waitingRows += c.rows();
        }
    }

    /**
     * Writes the rows of clean journal segments in one transaction, read by DuckDB, and deletes the segments. If that
     * fails, each segment is replayed ({@link #replay}: line by line through the appender, skipping rows the ledger
     * has, waiting while storage fails), so a bad line costs only itself.
     */
    private void insert(List<LedgerJournal.Closed> segments, List<LedgerEntry> batch) throws SQLException {
        try {
            checkStorage(); // before the insert touches the database: nothing to roll back
            closeAppender();
            List<java.nio.file.Path> files = new ArrayList<>(segments.size());
            long from = Long.MAX_VALUE, to = Long.MIN_VALUE;
            for (LedgerJournal.Closed c : segments) {
                files.add(c.file());
                from = Math.min(from, c.minMicros());
                to = Math.max(to, c.maxMicros());
            }
            Instant sealed = sealedUntil;
            long rows;
            try (var st = conn.createStatement()) {
                rows = st.executeUpdate(JournalCodec.insertSql(files));
                if (sealed != null && from < epochMicros(sealed)) {
                    lateHours.clear();
                    try (var rs = st.executeQuery(LATE_HOURS.formatted(JournalCodec.fileList(files), epochMicros(sealed)))) {
                        while (rs.next()) lateHours.add(rs.getLong(1));
                    }
                    if (!lateHours.isEmpty()) Rollup.reseal(conn, lateHours, sealed);
                }
            }
            conn.commit();
            bulkRows.addAndGet(rows);
            newest = Math.max(newest, to);
            writesSucceed();
            long before = tableRows;
            tableRows += rows;
            if (before / ROW_GROUP_ROWS != tableRows / ROW_GROUP_ROWS) checkpointDue = true;
            checkpointIfRowGroupFull();
        } catch (SQLException | RuntimeException e) {
            abandon(e);
            if (!(e instanceof SQLException q && isStorageFailure(q))) { // a full disk is told once, as an ALERT
                log.warn("writing {} ledger journal segments in bulk failed, writing their rows one by one: {}",
                        segments.size(), e.toString());
            }
            for (LedgerJournal.Closed c : segments) replay(c.seq(), true, batch);
            return;
        }
        for (LedgerJournal.Closed c : segments) journal.delete(c.seq());
    }

    /** The hours (epoch micros) of the rows in files {@code %s} before {@code %d}, which are sealed already. */
    private static final String LATE_HOURS = "SELECT DISTINCT t // " + Rollup.HOUR_MICROS + " * " + Rollup.HOUR_MICROS
            + " FROM read_json(%s, format = 'newline_delimited', columns = {t: 'BIGINT'}) WHERE t < %d";

    /**
     * The rows of a failed batch that are in the ledger all the same: DuckDB's appender commits what it flushes (each
     * 2,048 rows, and the batch's end) whatever the connection's transaction, so a batch that failed after a flush (in
     * its sealed hours' roll-up, or its commit) left rows behind.
     */
    private java.util.Set<String> alreadyWritten(List<LedgerEntry> batch) {
        try {
            return present(batch);
        } catch (SQLException e) {
            log.warn("cannot tell which rows of the failed ledger batch were written; some may be written twice: {}", e.toString());
            return java.util.Set.of();
        }
    }

    /** Rolls up again, in a transaction of its own, sealed hours that rows of a failed batch were written to. */
    private void rollUpAgain(java.util.SortedSet<Long> hours, Instant sealed) {
        try {
            closeAppender();
            Rollup.reseal(conn, hours, sealed);
            conn.commit();
        } catch (SQLException | RuntimeException e) {
            abandon(e);
            log.error("rolling up again the sealed hours {} (epoch µs) failed: reports of them from the rollups miss rows"
                    + " written late; raw rows have them: {}", hours, e.toString());
        }
    }

    /** A row as {@link #present} knows it: attempts of one request stay apart by their latency. */
    private static String key(LedgerEntry row) {
        return row.requestId() + "/" + row.latencyMicros();
    }

    /** The rows among {@code rows}' time range already in the ledger, as request id/latency ({@link #key}). */
    private java.util.Set<String> present(List<LedgerEntry> rows) throws SQLException {
        long from = Long.MAX_VALUE, to = Long.MIN_VALUE;
        for (LedgerEntry r : rows) {
            long t = epochMicros(r.time());
            from = Math.min(from, t);
            to = Math.max(to, t);
        }
        java.util.Set<String> present = new java.util.HashSet<>();
        closeAppender(); // a query beside an open appender may miss the rows it committed
        while (true) {
            try (var p = conn.prepareStatement("SELECT request_id, latency_us FROM requests"
                    + " WHERE time BETWEEN make_timestamp(?::BIGINT) AND make_timestamp(?::BIGINT)")) {
                p.setLong(1, from);
                p.setLong(2, to);
                try (var rs = p.executeQuery()) {
                    while (rs.next()) present.add(rs.getString(1) + "/" + rs.getLong(2)); // as key() makes them
                }
                conn.commit();
                return present;
            } catch (SQLException e) {
                abandon(e);
                if (!isStorageFailure(e) || stopped) throw e;
                LockSupport.parkNanos(this, STORAGE_RETRY_NANOS);
            }
        }
    }

    private void appendAll(List<LedgerEntry> batch) throws SQLException {
        checkStorage(); // before the batch touches the database: nothing to roll back
        try {
            if (appender == null) appender = conn.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "requests");
            Instant sealed = sealedUntil;
            long sealedMicros = sealed == null ? Long.MIN_VALUE : epochMicros(sealed);
            long batchNewest = Long.MIN_VALUE;
            lateHours.clear();
            for (LedgerEntry e : batch) {
                long micros = epochMicros(e.time());
                if (micros > batchNewest) batchNewest = micros;
                if (micros < sealedMicros) lateHours.add(Math.floorDiv(micros, Rollup.HOUR_MICROS) * Rollup.HOUR_MICROS);
                appendRow(appender, e, micros, tagsJsonCache.computeIfAbsent(e.tags(), LedgerWriter::tagsJson));
            }
            appender.flush();
            if (!lateHours.isEmpty()) {
                closeAppender(); // appenders must not span the re-roll's DELETE
                Rollup.reseal(conn, lateHours, sealed);
            }
            conn.commit();
            newest = Math.max(newest, batchNewest);
        } catch (SQLException | RuntimeException e) {
            abandon(e);
            throw e;
        }
        tableRows += batch.size();
        checkpointIfRowGroupFull();
    }

    /**
     * Checkpoints when the rows just committed filled the table's last row group (see {@link #ROW_GROUP_ROWS}). A
     * checkpoint that cannot run now (another connection's write transaction is open) is tried again after the next
     * batch: that one also rewrites the few rows of the next row group, but nothing waits in memory for long.
     */
    private void checkpointIfRowGroupFull() {
        if (tableRows % ROW_GROUP_ROWS == 0) checkpointDue = true;
        if (!checkpointDue) return;
        closeAppender();
        try {
            conn.setAutoCommit(true); // CHECKPOINT runs outside a transaction
            try (var s = conn.createStatement()) {
                s.execute("CHECKPOINT");
            } finally {
                conn.setAutoCommit(false);
            }
            checkpointDue = false;
        } catch (SQLException e) {
            log.debug("ledger checkpoint after a full row group put off to the next batch: {}", e.toString());
        }
    }

    /**
     * Refuses to commit while the ledger's disk has less than {@code minFreeBytes} free: DuckDB's own out-of-space
     * paths are the least tested (a full disk has crashed the JVM in native code), so the writer waits before them.
     */
    private void checkStorage() throws SQLException {
        beforeCommit.check();
        String low = lowSpace();
        if (low != null) throw new SQLException("IO Error: " + low);
    }

    /** Why the ledger's disk is too full to write to, or null when it has room. */
    String lowSpace() {
        if (disk == null || minFreeBytes == 0) return null;
        try {
            long free = disk.getUsableSpace();
            return free >= minFreeBytes ? null : "only " + (free >> 20) + " MB free on the ledger's disk, under ledger.min_free_mb ("
                    + (minFreeBytes >> 20) + " MB)";
        } catch (java.io.IOException e) {
            return "cannot read the free space of the ledger's disk: " + e.getMessage();
        }
    }

    /** Drops the failed transaction and the appenders that were part of it; a rollback failure rides on {@code e}. */
    private void abandon(Exception e) {
        closeAppender();
        try {
            conn.rollback();
        } catch (SQLException r) {
            e.addSuppressed(r);
        }
    }

    /**
     * Rolls up the hours that ended more than {@link Rollup#GRACE_MICROS} before the newest row, in a transaction of
     * its own (see {@link Rollup#seal}). A failure only delays it: readers keep reading those hours' raw rows.
     */
    private void seal(boolean force) {
        long now = System.nanoTime();
        if (newest == Long.MIN_VALUE || !force && now - nextSealTry < 0) return;
        // never past the clock: one row stamped in the future must not make every row after it a late one
        long target = Math.min(Rollup.sealTarget(newest), Rollup.sealTarget(epochMicros(null)));
        Instant from = sealedUntil;
        if (from != null && target <= epochMicros(from)) return;
        // each seal costs a few statements whatever its length: when rows come faster than the clock (a backfill,
        // the benchmark's generator), wait for several hours of them
        if (!force && from != null && target - epochMicros(from) < SEAL_SPAN_MICROS && now - lastSeal < SEAL_EVERY_NANOS) return;
        lastSeal = now;
        Instant to = Rollup.micros(target);
        try {
            // a day of hours a transaction at most: a bulk insert of a backfill's several days outgrew DuckDB's memory
            // limit in one
            do {
                long start = from != null ? epochMicros(from) : firstRowMicros();
                to = Rollup.micros(Math.min(target, Math.floorDiv(start, Rollup.HOUR_MICROS) * Rollup.HOUR_MICROS + SEAL_SPAN_MICROS));
                Rollup.seal(conn, from, to);
                conn.commit();
                sealedUntil = from = to;
            } while (epochMicros(to) < target);
        } catch (SQLException | RuntimeException e) {
            abandon(e);
            nextSealTry = System.nanoTime() + SEAL_RETRY_NANOS;
            log.warn("rolling up the ledger's hours before {} failed; they are read from raw rows and it is retried: {}",
                    to, e.toString());
        }
    }

    private long firstRowMicros() throws SQLException {
        try (var st = conn.createStatement(); var rs = st.executeQuery("SELECT epoch_us(min(time)) FROM requests")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** One row in {@code requests} column order (see {@link LedgerSchema}). */
    private static void appendRow(DuckDBAppender a, LedgerEntry e, long micros, String tagsJson) throws SQLException {
        Usage u = e.usage();
        a.beginRow();
        a.appendEpochMicros(micros);
        string(a, e.requestId());
        string(a, e.keyName());
        a.append(tagsJson);
        string(a, e.api());
        string(a, e.provider());
        string(a, e.deployment());
        string(a, e.requestedModel());
        string(a, e.servedModel());
        a.append(u.inputTokens());
        a.append(u.cachedInputTokens());
        a.append(u.cacheWrite5mTokens());
        a.append(u.cacheWrite1hTokens());
        a.append(u.outputTokens());
        a.append(u.reasoningTokens());
        a.append(cost(e.costUsd()));
        string(a, e.priceVersion());
        a.append(e.status());
        string(a, e.error());
        a.append(e.latencyMicros());
        if (e.ttftMicros() < 0) a.appendNull(); else a.append(e.ttftMicros());
        a.append(e.stream());
        a.append(e.estimated());
        string(a, e.cache());
        a.append(cost(e.savedUsd()));
        a.append(e.unpriced());
        LedgerEntry.Attempt attempt = e.attempt();
        a.append(attempt == null ? 1 : attempt.number());
        string(a, attempt == null ? null : attempt.reason());
        string(a, attempt == null ? null : attempt.upstreamModel());
        a.endRow();
    }

    /** The tags as a JSON object; {@code {}} when there are none. */
    static String tagsJson(Map<String, String> tags) {
        if (tags.isEmpty()) return "{}";
        try {
            return JSON.writeValueAsString(tags);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tags cannot be written as JSON", e);
        }
    }

    private static void string(DuckDBAppender a, String s) throws SQLException {
        if (s == null) a.appendNull(); else a.append(s);
    }

    /** The stored scale; finer fractions of a cent than 1e-12 dollars are rounded half-even. */
    static BigDecimal cost(BigDecimal usd) {
        return usd.setScale(12, RoundingMode.HALF_EVEN);
    }

    /** Microseconds since the epoch, floored; a null time means "now". */
    static long epochMicros(Instant t) {
        if (t == null) t = Instant.now();
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }

    private void reportDrops(boolean force) {
        long total = dropped.get();
        long now = System.nanoTime();
        if (total == reportedDrops || (!force && now - lastDropReport < DROP_REPORT_NANOS)) return;
        log.error("ALERT ledger lost {} rows: memory (ledger.memory_rows) and journal were both full or failing ({} in all since start)",
                total - reportedDrops, total);
        reportedDrops = total;
        lastDropReport = now;
    }

    private void closeAppender() {
        if (appender == null) return;
        try {
            appender.close();
        } catch (Exception e) {
            log.debug("closing the ledger appender failed", e);
        }
        appender = null;
    }

    /**
     * After the thread ends nobody may wait forever on a marker that will never be processed, and rows still queued
     * (rows the journal could not take, which raced {@link #close()} or outlived the thread) are counted as dropped.
     */
    private void releaseMarkers() {
        queue.drainTo(drained);
        int lost = 0;
        for (Object item : drained) {
            if (item instanceof Marker m) m.done().countDown(); else if (item instanceof LedgerEntry) lost++;
        }
        drained.clear();
        if (lost > 0) {
            dropped.addAndGet(lost);
            log.error("ledger writer stopped with {} rows in memory, which the journal could not take: they are lost", lost);
        }
    }
}
