package dev.tollgate.store.duckdb;

import dev.tollgate.store.LedgerEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The ledger's write-ahead journal: every row is appended here, one JSON line ({@link JournalCodec}), before the
 * client gets its answer, so a row the writer had not yet committed when the process died is replayed at the next
 * start. Each segment is memory-mapped, so an append is a copy into the OS page cache with no system call and no
 * fsync: the page cache survives a crash of the process (kill -9, OOM kill, SIGSEGV), not a power loss or a kernel
 * crash, which can take what the kernel had not yet written back (by default up to about 30 s,
 * {@code vm.dirty_expire_centisecs}). The file grows ahead of the rows by {@link #CHUNK_BYTES} of zeros written with
 * {@code write(2)}, so a full disk shows up as an error there, never as a fault on the mapped memory.
 *
 * <p>The journal is a series of segment files, {@code ledger-journal-<seq>.jsonl}, rotated every
 * {@link #SEGMENT_MAX_BYTES} or {@link #SEGMENT_MAX_NANOS}, whichever comes first (at the row that finds it so; a
 * writer closes an idle one itself, {@link #takeClosed}). Its total size is bounded by
 * {@code maxBytes}. The two ledgers use it differently:
 * <ul>
 *   <li>DuckDB's writer takes closed segments itself ({@link #takeClosed}) and has DuckDB read their rows in bulk:
 *       the journal is where rows wait for it, and the spool while its disk refuses them.</li>
 *   <li>PostgreSQL's writer gets each row through its own queue too; a closed segment is announced to it through that
 *       queue (behind every row of the segment), and once those rows are committed it deletes the segment, or, when
 *       some rows of it never reached the queue (it was full: the database was down or slow), replays it first. The
 *       PostgreSQL ledger appends under this object's monitor so that the order of rows in the journal and in the
 *       queue is the same.</li>
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class LedgerJournal implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LedgerJournal.class);
    private static final Pattern NAME = Pattern.compile("ledger-journal-(\\d{19})\\.jsonl");
    static final int SEGMENT_MAX_BYTES = 4 << 20;
    static final int CHUNK_BYTES = 64 << 10;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(CHUNK_BYTES);
    static final long SEGMENT_MAX_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** After a failed write (disk full), wait this long before trying the disk again. */
    static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** A segment's size and the rows in it that never reached the writer's queue. */
    private static final class Segment {
        long bytes;
        long overflowRows;
        boolean leftover;
        /** A write into it failed: a line may be torn. */
        boolean torn;
        /** Rows appended, and the earliest and latest of their times (epoch micros). */
        long rows;
        long minMicros = Long.MAX_VALUE;
        long maxMicros = Long.MIN_VALUE;
        long openedAt;
    }

    /**
     * A closed segment as {@link #takeClosed} hands it over. A clean one holds whole lines only, each a row appended
     * in this run and never queued: its rows are in no ledger yet and can be taken in bulk as they are.
     */
    record Closed(long seq, Path file, long rows, long minMicros, long maxMicros, long openedAt, boolean clean) {
    }

    private final Path dir;
    private final long maxBytes;
    private final TreeMap<Long, Segment> segments = new TreeMap<>();
    /** Closed segments not yet announced to the writer (its queue was full), oldest first. */
    private final Deque<Long> unannounced = new ArrayDeque<>();
    private long totalBytes;
    private long nextSeq;
    private FileChannel current;
    private java.nio.MappedByteBuffer mapped;
    /** Bytes of rows in the current segment, and the file's length (rows plus zeros ahead of them). */
    private int position;
    private int allocated;
    private long currentSeq = -1;
    /** The entry in {@link #segments} of the segment last opened ({@link #currentSeq}): no look-up per row. */
    private Segment currentSegment;
    private long openedAt;
    private long retryAt = System.nanoTime();
    private volatile String failure;
    /** Written under the monitor, read without it (health checks run on every request). */
    private volatile long spooledRows;
    /** Rows in all segments (those left by a previous run not counted): waiting for the ledger. */
    private volatile long rows;
    private boolean closed;
    /** Whether {@link #failure} is the size limit (cleared as segments go) rather than the disk. */
    private boolean full;

    /** Opens the journal in {@code dir}; segments found there are left over from a previous run and need replay. */
    public LedgerJournal(Path dir, long maxBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        try {
            Files.createDirectories(dir);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Matcher m = NAME.matcher(f.getFileName().toString());
                    if (!m.matches()) continue;
                    Segment s = new Segment();
                    s.bytes = Files.size(f);
                    s.leftover = true;
                    segments.put(Long.parseLong(m.group(1)), s);
                    totalBytes += s.bytes;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the ledger journal in " + dir, e);
        }
        nextSeq = segments.isEmpty() ? 1 : segments.lastKey() + 1;
    }

    public Path dir() {
        return dir;
    }

    /** Segments left by a previous run, oldest first: replay them before deleting. */
    public synchronized List<Long> leftovers() {
        return segments.entrySet().stream().filter(e -> e.getValue().leftover).map(Map.Entry::getKey).toList();
    }

    /**
     * Appends one encoded row (the first {@code length} bytes of {@code bytes}), of {@code time}, to the current
     * segment. Returns false when it could not: the disk failed a moment ago (tried again after {@link #RETRY_NANOS})
     * or the journal holds {@code maxBytes} already.
     */
    public synchronized boolean append(byte[] bytes, int length, java.time.Instant time) {
        if (closed) return false;
        long now = System.nanoTime();
        if (failure != null && now - retryAt < 0) return false;
        if (length > SEGMENT_MAX_BYTES) return false; // a row of megabytes of tags: queued, not journaled
        try {
            // a segment full, or old, is closed before the row: the row opens the next one
            if (current != null && (position + length > SEGMENT_MAX_BYTES || now - openedAt >= SEGMENT_MAX_NANOS)) closeCurrent();
            boolean needsRoom = current == null || position + length > allocated;
            if (needsRoom && totalBytes + CHUNK_BYTES > maxBytes) {
                failure = "the journal holds its limit of " + (maxBytes >> 20) + " MB (ledger.spool_max_mb)";
                full = true;
                retryAt = now + RETRY_NANOS;
                return false;
            }
            if (current == null) open(now);
            while (position + length > allocated) grow();
            mapped.put(position, bytes, 0, length);
            position += length;
            Segment s = currentSegment;
            long micros = LedgerWriter.epochMicros(time);
            s.rows++;
            s.minMicros = Math.min(s.minMicros, micros);
            s.maxMicros = Math.max(s.maxMicros, micros);
            rows++;
            if (failure != null) log.info("the ledger journal in {} is writable again", dir);
            failure = null;
            full = false;
            return true;
        } catch (IOException | InternalError e) { // InternalError: a fault on mapped memory (a disk that cannot back it)
            // a torn line stays behind in the segment (replay skips it); the next write starts a fresh segment
            if (failure == null) log.error("cannot write the ledger journal in {}: {}; rows not yet in the ledger are kept in memory only", dir, e.toString());
            failure = "cannot write the journal in " + dir + ": " + e.getMessage();
            full = false;
            retryAt = now + RETRY_NANOS;
            if (current != null) currentSegment.torn = true;
            closeCurrent();
            return false;
        }
    }

    /** The row just appended did not reach the writer's queue: its segment needs a replay. */
    public synchronized void overflowed() {
        currentSegment.overflowRows++;
        spooledRows++;
    }

    /** The oldest closed segment the writer has not been told of, or -1. */
    public synchronized long nextUnannounced() {
        return unannounced.isEmpty() ? -1 : unannounced.peekFirst();
    }

    public synchronized void announced(long seq) {
        unannounced.remove(seq);
    }

    /** Segments taken by {@link #closeAndTakeUnannounced()} that could not be announced: they go first again. */
    public synchronized void unannounced(List<Long> seqs) {
        for (int i = seqs.size() - 1; i >= 0; i--) unannounced.addFirst(seqs.get(i));
    }

    /** Closes the current segment and hands every closed segment not yet announced to the caller, who announces them. */
    public synchronized List<Long> closeAndTakeUnannounced() {
        closeCurrent();
        List<Long> out = List.copyOf(unannounced);
        unannounced.clear();
        return out;
    }

    /**
     * Closed segments not yet taken (announced), oldest first, now taken; with {@code closeCurrent}, the current
     * segment is closed first and comes last. The DuckDB writer's way in: it takes segments rather than being told of
     * them through its queue, and takes their rows in bulk.
     */
    synchronized List<Closed> takeClosed(boolean closeCurrent) {
        if (closeCurrent) closeCurrent();
        List<Closed> out = new ArrayList<>(unannounced.size());
        for (long seq : unannounced) {
            Segment s = segments.get(seq);
            if (s == null) continue;
            out.add(new Closed(seq, file(seq), s.rows, s.minMicros, s.maxMicros, s.openedAt,
                    !s.leftover && !s.torn && s.overflowRows == 0));
        }
        unannounced.clear();
        return out;
    }

    /** When the current segment's first row came (System.nanoTime), or {@code Long.MAX_VALUE} when none waits there. */
    synchronized long currentSince() {
        return current == null || position == 0 ? Long.MAX_VALUE : openedAt;
    }

    /**
     * The writer has committed every queued row of segment {@code seq}: deletes it and returns false, or returns true
     * when rows of it never reached the queue and it must be replayed first.
     */
    public synchronized boolean release(long seq) {
        Segment s = segments.get(seq);
        if (s == null) return false;
        if (s.overflowRows > 0 || s.leftover) return true;
        delete(seq);
        return false;
    }

    /**
     * The rows of a closed segment, up to the zeros a crash leaves after the last row; a line that cannot be read (torn
     * by a crash or a failed write) is skipped and logged.
     */
    public List<LedgerEntry> read(long seq) throws IOException {
        List<LedgerEntry> rows = new ArrayList<>();
        int bad = 0;
        byte[] bytes = Files.readAllBytes(file(seq));
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) end++;
        for (String line : new String(bytes, 0, end, StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) continue;
            try {
                rows.add(JournalCodec.decode(line));
            } catch (IOException | RuntimeException e) {
                bad++;
            }
        }
        if (bad > 0) log.warn("ledger journal {}: skipped {} unreadable lines (torn by a failed write)", file(seq), bad);
        return rows;
    }

    /** Removes a segment whose rows are all in the ledger. */
    public synchronized void delete(long seq) {
        Segment s = segments.remove(seq);
        if (s == null) return;
        totalBytes -= s.bytes;
        spooledRows -= s.overflowRows;
        rows -= s.rows;
        if (full && totalBytes < maxBytes) { // room again: the next row may be kept
            full = false;
            failure = null;
        }
        try {
            Files.deleteIfExists(file(seq));
        } catch (IOException e) {
            log.warn("cannot delete ledger journal segment {}: {}", file(seq), e.toString());
        }
    }

    /** Rows only in the journal (not in memory) waiting to be written. */
    public long spooledRows() {
        return spooledRows;
    }

    /** Rows appended in this run and not in the ledger yet (deleted with their segment). */
    public long rows() {
        return rows;
    }

    public synchronized long bytes() {
        return totalBytes;
    }

    /** Why the journal cannot take rows now, or null when it can. */
    public String failure() {
        return failure;
    }

    /** Closes the current segment; {@code deleteAll}: every row is in the ledger, so no segment is kept. */
    public synchronized void close(boolean deleteAll) {
        closed = true;
        closeCurrent();
        unannounced.clear();
        if (deleteAll) for (Long seq : List.copyOf(segments.keySet())) delete(seq);
    }

    @Override
    public void close() {
        close(false);
    }

    private void open(long now) throws IOException {
        long seq = nextSeq++;
        FileChannel channel = FileChannel.open(file(seq), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, SEGMENT_MAX_BYTES);
        } catch (IOException | RuntimeException e) {
            channel.close();
            Files.deleteIfExists(file(seq));
            throw e;
        }
        current = channel;
        currentSeq = seq;
        openedAt = now;
        position = 0;
        allocated = 0;
        currentSegment = new Segment();
        currentSegment.openedAt = now;
        segments.put(seq, currentSegment);
    }

    /** Extends the current segment's file by a chunk of zeros, so the mapped pages the next rows go to have disk. */
    private void grow() throws IOException {
        if (totalBytes + CHUNK_BYTES > maxBytes) throw new IOException("the journal holds its limit of " + (maxBytes >> 20) + " MB (ledger.spool_max_mb)");
        ByteBuffer zeros = ZEROS.duplicate();
        while (zeros.hasRemaining()) current.write(zeros, allocated + zeros.position());
        allocated += CHUNK_BYTES;
        currentSegment.bytes += CHUNK_BYTES;
        totalBytes += CHUNK_BYTES;
    }

    private void closeCurrent() {
        if (current == null) return;
        Segment s = currentSegment;
        try {
            current.truncate(position); // the zeros ahead of the rows go; the mapping is not touched again
            s.bytes -= allocated - position;
            totalBytes -= allocated - position;
        } catch (IOException e) {
            log.debug("trimming a ledger journal segment failed", e);
        }
        try {
            current.close();
        } catch (IOException e) {
            log.debug("closing a ledger journal segment failed", e);
        }
        current = null;
        mapped = null;
        unannounced.addLast(currentSeq);
    }

    private Path file(long seq) {
        return dir.resolve(String.format("ledger-journal-%019d.jsonl", seq));
    }
}
