package dev.tollgate.store.duckdb;

import dev.tollgate.store.ShadowAnswer;
import dev.tollgate.store.ShadowLog;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shadowed answers in the ledger's DuckDB file, table {@code shadow_answers} (schema version 14). Owned by
 * {@link DuckDbLedger}, which opens it on first use and closes it before itself. One writer thread drains a bounded
 * queue in batches (at most {@value #MAX_BATCH} rows or 200 ms), as the prompt log does.
 */
public final class DuckDbShadowLog implements ShadowLog, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DuckDbShadowLog.class);
    static final int MAX_BATCH = 512;
    static final int QUEUE_CAPACITY = 16_384;
    private static final long MAX_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private record Marker(CountDownLatch done, boolean stop) {
    }

    private final DuckDBConnection conn;
    private final DuckDbLedger ledger;
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>(QUEUE_CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopped;

    DuckDbShadowLog(DuckDBConnection conn, DuckDbLedger ledger) {
        this.conn = conn;
        this.ledger = ledger;
        this.thread = Thread.ofPlatform().name("tollgate-shadow-writer").daemon(true).start(this::run);
    }

    @Override
    public void append(ShadowAnswer answer) {
        if (stopped || !queue.offer(answer)) dropped.incrementAndGet();
    }

    @Override
    public void flush() {
        if (!stopped) await(send(false));
    }

    @Override
    public long dropped() {
        return dropped.get();
    }

    @Override
    public void close() {
        if (stopped) return;
        if (thread.isAlive()) await(send(true));
        stopped = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            conn.close();
        } catch (SQLException e) {
            log.warn("closing the shadow log connection failed", e);
        }
    }

    private Marker send(boolean stop) {
        Marker m = new Marker(new CountDownLatch(1), stop);
        try {
            queue.put(m);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the shadow log", e);
        }
        return m;
    }

    private void await(Marker m) {
        try {
            while (!m.done().await(1, TimeUnit.SECONDS)) {
                if (!thread.isAlive()) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        List<ShadowAnswer> batch = new ArrayList<>(MAX_BATCH);
        List<Object> drained = new ArrayList<>(MAX_BATCH);
        try {
            conn.setAutoCommit(false);
            long deadline = 0;
            while (true) {
                long wait = batch.isEmpty() ? MAX_DELAY_NANOS : Math.max(0, deadline - System.nanoTime());
                Object first = queue.poll(wait, TimeUnit.NANOSECONDS);
                if (first != null) {
                    drained.add(first);
                    queue.drainTo(drained, MAX_BATCH - 1);
                }
                for (Object item : drained) {
                    if (item instanceof ShadowAnswer a) {
                        if (batch.isEmpty()) deadline = System.nanoTime() + MAX_DELAY_NANOS;
                        batch.add(a);
                        if (batch.size() >= MAX_BATCH) write(batch);
                    } else if (item instanceof Marker m) {
                        write(batch);
                        m.done().countDown();
                        if (m.stop()) return;
                    }
                }
                drained.clear();
                if (!batch.isEmpty() && System.nanoTime() - deadline >= 0) write(batch);
            }
        } catch (InterruptedException e) {
            log.warn("shadow log writer interrupted; {} answers were not written", queue.size() + batch.size());
        } catch (Throwable t) {
            log.error("shadow log writer died; {} answers were not written", queue.size() + batch.size(), t);
        } finally {
            stopped = true;
            List<Object> rest = new ArrayList<>();
            queue.drainTo(rest);
            rest.forEach(o -> {
                if (o instanceof Marker m) m.done().countDown(); else dropped.incrementAndGet();
            });
        }
    }

    private void write(List<ShadowAnswer> batch) {
        if (batch.isEmpty()) return;
        String lowSpace = ledger.lowSpace();
        if (lowSpace != null) {
            dropped.addAndGet(batch.size());
            log.warn("{} shadow answers dropped: {}", batch.size(), lowSpace);
            batch.clear();
            return;
        }
        try (DuckDBAppender a = conn.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "shadow_answers")) {
            for (ShadowAnswer s : batch) appendRow(a, s);
            a.flush();
            conn.commit();
        } catch (SQLException | RuntimeException e) {
            dropped.addAndGet(batch.size());
            log.error("writing {} shadow answers failed; they are dropped", batch.size(), e);
            try {
                conn.rollback();
            } catch (SQLException r) {
                log.debug("rollback failed", r);
            }
        }
        batch.clear();
    }

    /** One row in {@code shadow_answers} column order (see {@link LedgerSchema}, version 14). */
    private static void appendRow(DuckDBAppender a, ShadowAnswer s) throws SQLException {
        a.beginRow();
        a.appendEpochMicros(LedgerWriter.epochMicros(s.time()));
        a.append(s.requestId());
        a.append(s.route());
        a.append(s.candidate());
        string(a, s.api());
        string(a, s.prompt());
        string(a, s.productionModel());
        string(a, s.productionAnswer());
        a.append(LedgerWriter.cost(s.productionCostUsd()));
        a.append(s.productionMillis());
        string(a, s.candidateAnswer());
        a.append(LedgerWriter.cost(s.candidateCostUsd()));
        a.append(s.candidateMillis());
        string(a, s.candidateError());
        a.endRow();
    }

    private static void string(DuckDBAppender a, String s) throws SQLException {
        if (s == null) a.appendNull(); else a.append(s);
    }

    private static final String ANSWERS = """
            SELECT epoch_us(time), request_id, route, candidate, api, prompt, production_model, production_answer,
                   production_cost_usd, production_ms, candidate_answer, candidate_cost_usd, candidate_ms, candidate_error
            FROM shadow_answers
            WHERE route = ? AND (CAST(? AS BIGINT) IS NULL OR time >= make_timestamp(CAST(? AS BIGINT)))
              AND (CAST(? AS BIGINT) IS NULL OR time < make_timestamp(CAST(? AS BIGINT)))
            ORDER BY time, request_id""";

    @Override
    public List<ShadowAnswer> answers(String route, Instant from, Instant to) {
        return ledger.read(c -> answers(c, route, from, to));
    }

    static List<ShadowAnswer> answers(DuckDBConnection c, String route, Instant from, Instant to) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(ANSWERS)) {
            Long f = from == null ? null : LedgerWriter.epochMicros(from);
            Long t = to == null ? null : LedgerWriter.epochMicros(to);
            p.setString(1, route);
            p.setObject(2, f);
            p.setObject(3, f);
            p.setObject(4, t);
            p.setObject(5, t);
            List<ShadowAnswer> out = new ArrayList<>();
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    long micros = rs.getLong(1);
                    Instant time = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
                    out.add(new ShadowAnswer(time, rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), rs.getString(7), rs.getString(8), money(rs.getBigDecimal(9)), rs.getLong(10),
                            rs.getString(11), money(rs.getBigDecimal(12)), rs.getLong(13), rs.getString(14)));
                }
            }
            return out;
        }
    }

    private static BigDecimal money(BigDecimal v) {
        return v == null ? BigDecimal.ZERO : v.stripTrailingZeros();
    }
}
