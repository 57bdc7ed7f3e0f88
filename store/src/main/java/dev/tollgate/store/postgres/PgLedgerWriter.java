package dev.tollgate.store.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.LedgerJournal;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The one thread that writes a replica's rows into the shared ledger, off the request path. Producers put rows on a
 * bounded queue and return at once; the thread writes batches of at most {@link #MAX_BATCH} rows (or what came within
 * {@link #MAX_DELAY_NANOS}) in one transaction each: COPY into a temporary staging table, then
 * {@code INSERT … ON CONFLICT DO NOTHING} into {@code requests}, whose unique key (request id, attempt, time) makes a
 * row written twice (a journal replayed after a crash) count once.
 *
 * <p>The queue protocol is the embedded writer's: flush and close markers and closed journal segments
 * ({@link LedgerJournal}) travel through the queue behind the rows before them; a segment is deleted once its rows
 * are committed, or replayed first when some of its rows never reached the queue. While PostgreSQL is unreachable or
 * refuses connections the batch is kept and retried every {@link #OUTAGE_RETRY_NANOS}: the queue fills, further rows
 * wait in the journal only (the spool), and are written from it when the database is back. A batch refused for its
 * content is written row by row; rows refused twice are logged and counted as failed.
 */
final class PgLedgerWriter {

    private static final Logger log = LoggerFactory.getLogger(PgLedgerWriter.class);

    static final int MAX_BATCH = 4096;
    static final long MAX_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    static final long NAP_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    static final long OUTAGE_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** How long a flush waits while the database is unreachable (the rows are kept). */
    static final long FLUSH_PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(2);
    static final long SEAL_EVERY_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The columns written, in COPY order ({@code seq} takes its default). */
    static final String COLUMNS = "time, request_id, key_name, tags, api, provider, deployment, requested_model, served_model,"
            + " input_tokens, cached_input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,"
            + " reasoning_tokens, cost_usd, price_version, status, error, latency_us, ttft_us, stream, estimated, cache,"
            + " saved_usd, unpriced, attempt, attempt_reason, upstream_model";
    private static final DateTimeFormatter COPY_TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS");

    record SegmentClosed(long seq) {
    }

    private record Marker(CountDownLatch done, boolean stop) {
        Marker(boolean stop) {
            this(new CountDownLatch(1), stop);
        }
    }

    private final PgDatabase db;
    private final int lockSpace;
    private final LedgerJournal journal;
    private final BlockingQueue<Object> queue;
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<Object> drained = new ArrayList<>(MAX_BATCH);
    /** Months whose partition this writer has made sure of. */
    private final Set<YearMonth> partitions = new HashSet<>();
    private volatile boolean stopped;
    private volatile boolean abandoned;
    /** Why writes fail now (the database is unreachable), or null while they succeed. */
    private volatile String outage;
    private volatile long failingSince;
    private volatile int batchRows;
    /** The rollups' watermark as last read (it only grows, so any value read stays valid for readers). */
    private volatile Instant sealedUntil;
    private long newest = Long.MIN_VALUE;
    private long lastSeal = System.nanoTime() - SEAL_EVERY_NANOS;
    /** Nanoseconds the thread spent writing batches (for the benchmark: the writer's cost per row). */
    private final AtomicLong busyNanos = new AtomicLong();

    PgLedgerWriter(PgDatabase db, int capacity, LedgerJournal journal) {
        this.db = db;
        this.lockSpace = PgRollup.lockSpace(db.schema());
        this.journal = journal;
        this.queue = new LinkedBlockingQueue<>(capacity);
        this.thread = Thread.ofPlatform().name("tollgate-pg-ledger-writer").daemon(true).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    boolean offer(LedgerEntry entry) {
        return !stopped && queue.offer(entry);
    }

    boolean offerSegment(long seq) {
        return !stopped && queue.offer(new SegmentClosed(seq));
    }

    boolean putSegment(long seq) {
        return send(new SegmentClosed(seq), false) != null;
    }

    boolean stopped() {
        return stopped;
    }

    boolean abandoned() {
        return abandoned;
    }

    void dropped() {
        dropped.incrementAndGet();
    }

    boolean full() {
        return queue.remainingCapacity() == 0;
    }

    int queuedRows() {
        return queue.size() + batchRows;
    }

    String outage() {
        return outage;
    }

    double stalledSeconds() {
        return outage == null ? 0 : (System.nanoTime() - failingSince) / 1e9;
    }

    Instant sealedUntil() {
        return sealedUntil;
    }

    long droppedRows() {
        return dropped.get();
    }

    long failedRows() {
        return failed.get();
    }

    long writtenRows() {
        return written.get();
    }

    long busyNanos() {
        return busyNanos.get();
    }

    void flush() {
        if (stopped) return;
        Marker m = send(new Marker(false), false);
        if (m != null) await(m, false);
    }

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

    private <T> T send(T marker, boolean always) {
        try {
            long deadline = System.nanoTime() + FLUSH_PATIENCE_NANOS;
            while (!queue.offer(marker, 100, TimeUnit.MILLISECONDS)) {
                if (!always && outage != null && System.nanoTime() - deadline > 0) return null;
                if (!thread.isAlive()) return null;
            }
            LockSupport.unpark(thread);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the ledger writer", e);
        }
        return marker;
    }

    private void await(Marker marker, boolean always) {
        if (marker == null) return;
        try {
            long deadline = System.nanoTime() + FLUSH_PATIENCE_NANOS;
            while (!marker.done().await(100, TimeUnit.MILLISECONDS)) {
                if (!thread.isAlive()) throw new IllegalStateException("the ledger writer thread has stopped");
                if (!always && outage != null && System.nanoTime() - deadline > 0) return; // rows are kept
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the ledger writer", e);
        }
    }

    private void run() {
        List<LedgerEntry> batch = new ArrayList<>(MAX_BATCH);
        long deadline = 0;
        try {
            if (!started()) return;
            ensurePartitionsAhead();
            for (long seq : journal.leftovers()) replay(seq, batch);
            while (true) {
                if (batch.isEmpty()) {
                    Object first = queue.poll(MAX_DELAY_NANOS, TimeUnit.NANOSECONDS);
                    if (first != null) drained.add(first);
                } else {
                    // nap rather than wait on the queue, whose every offer would wake this thread
                    long left = deadline - System.nanoTime();
                    if (left > 0 && queue.size() < MAX_BATCH) LockSupport.parkNanos(this, Math.min(left, NAP_NANOS));
                }
                queue.drainTo(drained, MAX_BATCH - drained.size());
                for (int i = 0; i < drained.size(); i++) {
                    Object item = drained.get(i);
                    if (item instanceof LedgerEntry e) {
                        if (batch.isEmpty()) deadline = System.nanoTime() + MAX_DELAY_NANOS;
                        batch.add(e);
                        if (batch.size() >= MAX_BATCH) write(batch);
                    } else if (item instanceof SegmentClosed c) {
                        write(batch);
                        if (abandoned) continue; // its rows are not all written: the next start replays it
                        if (journal.release(c.seq())) replay(c.seq(), batch);
                    } else if (item instanceof Marker m) {
                        write(batch);
                        if (!abandoned) seal(true);
                        m.done().countDown();
                        if (m.stop()) {
                            drained.subList(0, i + 1).clear();
                            return;
                        }
                    }
                }
                drained.clear();
                if (!batch.isEmpty() && System.nanoTime() - deadline >= 0) write(batch);
                seal(false);
            }
        } catch (InterruptedException e) {
            log.warn("ledger writer interrupted; {} queued rows stay in the journal", queue.size() + batch.size());
        } catch (Throwable t) {
            abandoned = true;
            log.error("ledger writer died; {} queued rows stay in the journal for the next start", queue.size() + batch.size(), t);
        } finally {
            stopped = true;
            releaseMarkers();
        }
    }

    /**
     * Reads where the ledger stands (its newest row, the rollups' watermark), waiting while the database is
     * unreachable; false when the writer closed meanwhile (rows then stay in the journal).
     */
    private boolean started() {
        while (true) {
            try (Connection c = db.connection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT max(time) FROM requests")) {
                rs.next();
                LocalDateTime max = rs.getObject(1, LocalDateTime.class);
                if (max != null) newest = PgLedger.micros(max.toInstant(ZoneOffset.UTC));
                sealedUntil = PgRollup.sealedUntil(c);
                outage = null;
                return true;
            } catch (SQLException e) {
                if (!isOutage(e)) throw new IllegalStateException("cannot read the shared ledger: " + e.getMessage(), e);
                if (outage == null) failingSince = System.nanoTime();
                outage = String.valueOf(e.getMessage());
                if (stopped) {
                    abandoned = true;
                    return false;
                }
                LockSupport.parkNanos(this, OUTAGE_RETRY_NANOS);
            }
        }
    }

    /** Writes the rows of a journal segment (those already in the ledger are skipped by the unique key), then deletes it. */
    private void replay(long seq, List<LedgerEntry> batch) {
        write(batch);
        List<LedgerEntry> rows;
        try {
            rows = journal.read(seq);
        } catch (IOException e) {
            log.error("cannot read ledger journal segment {} (kept for the next start): {}", seq, e.toString());
            return;
        }
        for (LedgerEntry row : rows) {
            batch.add(row);
            if (batch.size() >= MAX_BATCH) write(batch);
        }
        write(batch);
        if (abandoned) return;
        if (!rows.isEmpty()) log.info("ledger journal: replayed {} rows (those already in the ledger count once)", rows.size());
        journal.delete(seq);
    }

    /**
     * Writes and clears the batch. While the database is unreachable it keeps trying (the queue fills and rows wait in
     * the journal); at close it gives up and leaves them to the journal. A batch refused for its content is written row
     * by row, so a bad row costs only itself.
     */
    private void write(List<LedgerEntry> batch) {
        if (batch.isEmpty()) return;
        if (abandoned) { // closing while the database is unreachable: these rows wait in the journal too
            batch.clear();
            return;
        }
        batchRows = batch.size();
        long started = System.nanoTime();
        try {
            while (true) {
                try {
                    insert(batch);
                    if (outage != null) {
                        log.warn("ALERT the shared ledger is reachable again after {} s; rows kept meanwhile are being written",
                                Math.round(stalledSeconds()));
                        outage = null;
                    }
                    break;
                } catch (SQLException e) {
                    if (!isOutage(e)) {
                        writeOneByOne(batch, e);
                        break;
                    }
                    if (outage == null) {
                        failingSince = System.nanoTime();
                        log.error("ALERT the shared ledger cannot be written ({}); rows are kept in memory and in the journal"
                                + " at {} until it can", e.getMessage(), journal.dir());
                    }
                    outage = String.valueOf(e.getMessage());
                    if (stopped) {
                        abandoned = true;
                        log.error("ledger closing while PostgreSQL is unreachable: {} rows stay in the journal at {} for the"
                                + " next start", batch.size() + queue.size(), journal.dir());
                        break;
                    }
                    LockSupport.parkNanos(this, OUTAGE_RETRY_NANOS);
                }
            }
        } finally {
            busyNanos.addAndGet(System.nanoTime() - started);
            batch.clear();
            batchRows = 0;
        }
    }

    private void writeOneByOne(List<LedgerEntry> batch, SQLException first) {
        log.warn("ledger write of {} rows failed, writing them one by one: {}", batch.size(), first.toString());
        for (LedgerEntry row : batch) {
            try {
                insert(List.of(row));
            } catch (SQLException second) {
                failed.incrementAndGet();
                log.error("ledger row {} could not be written ({} rows lost in all)", row.requestId(), failed.get(), second);
            }
        }
    }

    /**
     * Writes a batch on the caller's thread, for a bulk copy into the ledger (the thread is never started then); rows
     * already there count once. {@link #sealNow()} rolls up what the copy brought.
     */
    void writeNow(List<LedgerEntry> batch) throws SQLException {
        insert(batch);
    }

    void sealNow() {
        seal(true);
    }

    /** Whether a failure is the database's availability (kept and retried) rather than the rows'. */
    static boolean isOutage(SQLException e) {
        if (e instanceof SQLTransientException || e instanceof SQLRecoverableException) return true;
        String state = e.getSQLState();
        if (state == null) return true; // no answer from the server at all
        return state.startsWith("08") || state.startsWith("57P") || state.startsWith("53") || state.equals("40001")
                || state.equals("40P01") || state.equals("55P03");
    }

    /** One transaction: COPY into staging, insert what is new, re-roll sealed hours that got rows. */
    private void insert(List<LedgerEntry> batch) throws SQLException {
        ensurePartitions(batch);
        byte[] copy = copyText(batch);
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                PgRollup.lockLedger(c, lockSpace, false);
                Instant sealed = PgRollup.sealedUntil(c);
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE TEMP TABLE IF NOT EXISTS ledger_staging ON COMMIT DELETE ROWS AS SELECT " + COLUMNS
                            + " FROM requests WITH NO DATA");
                }
                CopyManager copier = c.unwrap(PGConnection.class).getCopyAPI();
                copier.copyIn("COPY ledger_staging (" + COLUMNS + ") FROM STDIN", new ByteArrayInputStream(copy));
                int inserted;
                try (Statement s = c.createStatement()) {
                    inserted = s.executeUpdate("INSERT INTO requests (" + COLUMNS + ") SELECT " + COLUMNS
                            + " FROM ledger_staging ON CONFLICT DO NOTHING");
                }
                long batchNewest = Long.MIN_VALUE;
                TreeSet<Long> lateHours = new TreeSet<>();
                long sealedMicros = sealed == null ? Long.MIN_VALUE : PgLedger.micros(sealed);
                for (LedgerEntry e : batch) {
                    long t = PgLedger.micros(e.time());
                    batchNewest = Math.max(batchNewest, t);
                    if (t < sealedMicros) lateHours.add(Math.floorDiv(t, PgRollup.HOUR_MICROS) * PgRollup.HOUR_MICROS);
                }
                if (inserted > 0 && !lateHours.isEmpty()) PgRollup.reseal(c, lockSpace, lateHours, sealed);
                c.commit();
                written.addAndGet(inserted);
                newest = Math.max(newest, batchNewest);
                sealedUntil = sealed;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException r) {
                    e.addSuppressed(r);
                }
                throw e;
            }
        } catch (IOException e) {
            throw new SQLException("COPY into the ledger failed: " + e.getMessage(), "08006", e);
        }
    }

    /** The current and the next month's partitions, so the first rows of a month never wait for one. */
    private void ensurePartitionsAhead() {
        YearMonth now = YearMonth.now(ZoneOffset.UTC);
        try {
            ensurePartition(now);
            ensurePartition(now.plusMonths(1));
        } catch (SQLException e) {
            log.warn("cannot create the ledger's partitions ahead (retried with the first rows): {}", e.toString());
        }
    }

    private void ensurePartitions(List<LedgerEntry> batch) throws SQLException {
        YearMonth last = null;
        for (LedgerEntry e : batch) {
            YearMonth m = YearMonth.from(e.time().atOffset(ZoneOffset.UTC));
            if (m.equals(last)) continue;
            last = m;
            if (!partitions.contains(m)) {
                ensurePartition(m);
                ensurePartition(m.plusMonths(1)); // a new month: the next one ahead
            }
        }
    }

    /** Creates the month's partition unless it exists (another replica may create it at the same moment). */
    private void ensurePartition(YearMonth month) throws SQLException {
        if (partitions.contains(month)) return;
        String name = "requests_" + month.getYear() + "_" + String.format("%02d", month.getMonthValue());
        String sql = "CREATE TABLE IF NOT EXISTS " + name + " PARTITION OF requests FOR VALUES FROM ('" + month.atDay(1)
                + "') TO ('" + month.plusMonths(1).atDay(1) + "')";
        try (Connection c = db.connection(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            // 42P07 duplicate table, 23505 a catalog row another replica created first: the partition exists
            if (!"42P07".equals(e.getSQLState()) && !"23505".equals(e.getSQLState())) throw e;
        }
        partitions.add(month);
    }

    /**
     * Rolls up the hours that ended more than the grace before the newest row this writer wrote (never past the clock),
     * at most every {@link #SEAL_EVERY_NANOS} unless {@code force}. A failure only delays it.
     */
    private void seal(boolean force) {
        long now = System.nanoTime();
        if (newest == Long.MIN_VALUE || outage != null || !force && now - lastSeal < SEAL_EVERY_NANOS) return;
        lastSeal = now;
        long target = Math.min(PgRollup.sealTarget(newest), PgRollup.sealTarget(PgLedger.micros(Instant.now())));
        Instant known = sealedUntil;
        if (known != null && target <= PgLedger.micros(known)) return;
        Instant to = PgLedger.instant(target);
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                PgRollup.lockLedger(c, lockSpace, true);
                Instant from = PgRollup.sealedUntil(c); // another replica may have sealed further meanwhile
                if (from == null || from.isBefore(to)) PgRollup.seal(c, from, to);
                c.commit();
                sealedUntil = from == null || from.isBefore(to) ? to : from;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("rolling up the ledger's hours before {} failed; they are read from raw rows and it is retried: {}",
                    to, e.toString());
        }
    }

    /** The batch as COPY text: tab-separated, {@code \N} for NULL, backslash escapes. */
    private byte[] copyText(List<LedgerEntry> batch) {
        StringBuilder b = new StringBuilder(batch.size() * 320);
        for (LedgerEntry e : batch) {
            Usage u = e.usage();
            b.append(COPY_TIME.format(LocalDateTime.ofInstant(PgLedger.instant(PgLedger.micros(e.time())), ZoneOffset.UTC)));
            text(b, e.requestId());
            text(b, e.keyName());
            text(b, tagsJsonCache.computeIfAbsent(e.tags(), PgLedgerWriter::tagsJson));
            text(b, e.api());
            text(b, e.provider());
            text(b, e.deployment());
            text(b, e.requestedModel());
            text(b, e.servedModel());
            b.append('\t').append(u.inputTokens()).append('\t').append(u.cachedInputTokens())
                    .append('\t').append(u.cacheWrite5mTokens()).append('\t').append(u.cacheWrite1hTokens())
                    .append('\t').append(u.outputTokens()).append('\t').append(u.reasoningTokens());
            b.append('\t').append(money(e.costUsd()).toPlainString());
            text(b, e.priceVersion());
            b.append('\t').append(e.status());
            text(b, e.error());
            b.append('\t').append(e.latencyMicros());
            if (e.ttftMicros() < 0) b.append("\t\\N"); else b.append('\t').append(e.ttftMicros());
            b.append('\t').append(e.stream()).append('\t').append(e.estimated());
            text(b, e.cache());
            b.append('\t').append(money(e.savedUsd()).toPlainString());
            b.append('\t').append(e.unpriced());
            LedgerEntry.Attempt a = e.attempt();
            b.append('\t').append(a == null ? 1 : a.number());
            text(b, a == null ? null : a.reason());
            text(b, a == null ? null : a.upstreamModel());
            b.append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void text(StringBuilder b, String s) {
        b.append('\t');
        if (s == null) {
            b.append("\\N");
            return;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\0' -> b.append(PgText.REPLACEMENT); // PostgreSQL's text cannot hold it (PgText)
                default -> b.append(c);
            }
        }
    }

    /** The stored scale; finer fractions than 1e-12 dollars are rounded half-even (as the embedded ledger). */
    static BigDecimal money(BigDecimal usd) {
        return usd.setScale(12, RoundingMode.HALF_EVEN);
    }

    /** Tag sets repeat; their JSON is kept (writer thread only), least recently used beyond 4096. */
    private final Map<Map<String, String>, String> tagsJsonCache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Map<String, String>, String> eldest) {
            return size() > 4096;
        }
    };

    static String tagsJson(Map<String, String> tags) {
        if (tags.isEmpty()) return "{}";
        try {
            return JSON.writeValueAsString(tags);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tags cannot be written as JSON", e);
        }
    }

    private void releaseMarkers() {
        queue.drainTo(drained);
        int lost = 0;
        for (Object item : drained) {
            if (item instanceof Marker m) m.done().countDown(); else if (item instanceof LedgerEntry) lost++;
        }
        drained.clear();
        if (lost > 0) {
            abandoned = true;
            log.warn("ledger writer stopped with {} rows still queued; they stay in the journal for the next start", lost);
        }
    }
}
