package dev.tollgate.store.duckdb;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.AuditedPrompt;
import dev.tollgate.store.PromptLog;
import dev.tollgate.store.PromptRecord;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The prompt log in the ledger's DuckDB file, table {@code prompts} (schema version 5). Owned by
 * {@link DuckDbLedger}, which opens it on first use and closes it before itself. One writer thread drains a bounded
 * queue in batches (at most {@value #MAX_BATCH} rows or 200 ms), like the ledger's; a full queue drops the prompt
 * rather than holding up anyone.
 */
public final class DuckDbPromptLog implements PromptLog, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DuckDbPromptLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_BATCH = 512;
    static final int QUEUE_CAPACITY = 65_536;
    private static final long MAX_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private record Marker(CountDownLatch done, boolean stop) {
    }

    private final DuckDBConnection conn;
    private final DuckDbLedger ledger;
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>(QUEUE_CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopped;

    /** {@code conn} is this log's own write connection; queries run through the ledger's reads. */
    DuckDbPromptLog(DuckDBConnection conn, DuckDbLedger ledger) {
        this.conn = conn;
        this.ledger = ledger;
        this.thread = Thread.ofPlatform().name("tollgate-prompt-writer").daemon(true).start(this::run);
    }

    @Override
    public void append(PromptRecord prompt) {
        if (stopped || !queue.offer(prompt)) dropped.incrementAndGet();
    }

    @Override
    public void flush() {
        if (!stopped) await(send(false));
    }

    @Override
    public long droppedPrompts() {
        return dropped.get();
    }

    @Override
    public void close() {
        if (stopped) return;
        stopped = true;
        if (thread.isAlive()) await(send(true));
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            conn.close();
        } catch (SQLException e) {
            log.warn("closing the prompt log connection failed", e);
        }
    }

    private Marker send(boolean stop) {
        Marker m = new Marker(new CountDownLatch(1), stop);
        try {
            queue.put(m);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the prompt log", e);
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
        List<PromptRecord> batch = new ArrayList<>(MAX_BATCH);
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
                    if (item instanceof PromptRecord p) {
                        if (batch.isEmpty()) deadline = System.nanoTime() + MAX_DELAY_NANOS;
                        batch.add(p);
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
            log.warn("prompt log writer interrupted; {} prompts were not written", queue.size() + batch.size());
        } catch (Throwable t) {
            log.error("prompt log writer died; {} prompts were not written", queue.size() + batch.size(), t);
        } finally {
            stopped = true;
            List<Object> rest = new ArrayList<>();
            queue.drainTo(rest);
            rest.forEach(o -> {
                if (o instanceof Marker m) m.done().countDown(); else dropped.incrementAndGet();
            });
        }
    }

    /** Writes the batch in one transaction; a batch that fails is logged and counted as dropped (prompts are a sample). */
    private void write(List<PromptRecord> batch) {
        if (batch.isEmpty()) return;
        String lowSpace = ledger.lowSpace();
        if (lowSpace != null) {
            // DuckDB's own out-of-space path has crashed the JVM: on a nearly full disk prompts (a sample) are dropped
            dropped.addAndGet(batch.size());
            log.warn("{} prompts dropped: {}", batch.size(), lowSpace);
            batch.clear();
            return;
        }
        try (DuckDBAppender a = conn.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "prompts")) {
            for (PromptRecord p : batch) appendRow(a, p);
            a.flush();
            conn.commit();
        } catch (SQLException | RuntimeException e) {
            dropped.addAndGet(batch.size());
            log.error("writing {} prompts failed; they are dropped", batch.size(), e);
            try {
                conn.rollback();
            } catch (SQLException r) {
                log.debug("rollback failed", r);
            }
        }
        batch.clear();
    }

    /** One row in {@code prompts} column order (see {@link LedgerSchema}, versions 5 and 17). */
    private static void appendRow(DuckDBAppender a, PromptRecord p) throws SQLException {
        a.beginRow();
        a.appendEpochMicros(LedgerWriter.epochMicros(p.time()));
        a.append(p.requestId());
        string(a, p.keyName());
        a.append(LedgerWriter.tagsJson(p.tags()));
        string(a, p.api());
        string(a, p.model());
        string(a, p.systemPrompt());
        a.append(messagesJson(p.messages()));
        if (p.maxTokens() < 0) a.appendNull(); else a.append(p.maxTokens());
        a.append(p.systemTokens());
        a.append(p.historyTokens());
        a.append(p.userTokens());
        a.append(p.sampleRate());
        string(a, p.answer());
        a.endRow();
    }

    private static void string(DuckDBAppender a, String s) throws SQLException {
        if (s == null) a.appendNull(); else a.append(s);
    }

    static String messagesJson(List<PromptRecord.Message> messages) {
        ArrayNode array = JSON.createArrayNode();
        for (PromptRecord.Message m : messages) array.addObject().put("role", m.role()).put("content", m.content());
        return array.toString();
    }

    /** A logged prompt and its request's ledger row: the row that answered (a cascade's escalated attempts are not). */
    private static final String COLUMNS = """
              SELECT epoch_us(p.time) AS t, p.request_id, p.key_name, p.tags, p.api, p.model, p.system_prompt, p.messages,
                     p.max_tokens, p.system_tokens, p.history_tokens, p.user_tokens, p.sample_rate,
                     coalesce(split_part(r.price_version, '@', 1), r.served_model) AS priced_model,
                     r.input_tokens, r.cached_input_tokens, r.cache_write_5m_tokens, r.cache_write_1h_tokens,
                     r.output_tokens, r.reasoning_tokens, r.cost_usd, r.status, p.answer
              FROM prompts p JOIN requests r ON r.request_id = p.request_id AND r.attempt_reason IS NULL
              WHERE r.status < 400 AND json_extract_string(r.tags, '$.shadow') IS NULL AND (CAST(? AS BIGINT) IS NULL OR p.time >= make_timestamp(CAST(? AS BIGINT)))
                AND (CAST(? AS BIGINT) IS NULL OR p.time < make_timestamp(CAST(? AS BIGINT)))""";

    private static final String AUDITED = "SELECT * FROM (" + COLUMNS + " ORDER BY p.time DESC LIMIT ?) ORDER BY t, request_id";

    /** A seeded draw: rows ordered by a hash of their request id and the seed, so the same rows give the same sample. */
    private static final String SAMPLE_ORDER = " ORDER BY hash(p.request_id || ?), p.request_id LIMIT ?) ORDER BY t, request_id";

    @Override
    public List<AuditedPrompt> sample(Instant from, Instant to, int n, long seed, Map<String, String> excluding) {
        StringBuilder sql = new StringBuilder("SELECT * FROM (").append(COLUMNS).append(" AND p.answer IS NOT NULL");
        if (!excluding.isEmpty()) {
            sql.append(" AND NOT coalesce(");
            sql.append(String.join(" AND ", java.util.Collections.nCopies(excluding.size(), "json_extract_string(p.tags, ?) = ?")));
            sql.append(", false)");
        }
        sql.append(SAMPLE_ORDER);
        return ledger.read(c -> {
            try (PreparedStatement p = c.prepareStatement(sql.toString())) {
                bindRange(p, from, to);
                int i = 5;
                for (Map.Entry<String, String> e : excluding.entrySet()) {
                    p.setString(i++, "$.\"" + e.getKey().replace("\"", "") + "\"");
                    p.setString(i++, e.getValue());
                }
                p.setString(i++, Long.toString(seed));
                p.setInt(i, n);
                return rows(p);
            }
        });
    }

    @Override
    public List<AuditedPrompt> audited(Instant from, Instant to, int limit) {
        return ledger.read(c -> audited(c, from, to, limit));
    }

    private static List<AuditedPrompt> audited(DuckDBConnection c, Instant from, Instant to, int limit) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(AUDITED)) {
            bindRange(p, from, to);
            p.setInt(5, limit);
            return rows(p);
        }
    }

    private static void bindRange(PreparedStatement p, Instant from, Instant to) throws SQLException {
        Long f = from == null ? null : LedgerWriter.epochMicros(from);
        Long t = to == null ? null : LedgerWriter.epochMicros(to);
        p.setObject(1, f);
        p.setObject(2, f);
        p.setObject(3, t);
        p.setObject(4, t);
    }

    private static List<AuditedPrompt> rows(PreparedStatement p) throws SQLException {
        List<AuditedPrompt> out = new ArrayList<>();
        try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) out.add(row(rs));
        }
        return out;
    }

    private static AuditedPrompt row(ResultSet rs) throws SQLException {
        long micros = rs.getLong(1);
        Instant time = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
        long maxTokens = rs.getLong(9);
        if (rs.wasNull()) maxTokens = -1;
        PromptRecord prompt = new PromptRecord(time, rs.getString(2), rs.getString(3), tags(rs.getString(4)),
                rs.getString(5), rs.getString(6), rs.getString(7), messages(rs.getString(8)), maxTokens,
                rs.getLong(10), rs.getLong(11), rs.getLong(12), rs.getDouble(13), rs.getString(23));
        Usage usage = new Usage(rs.getLong(15), rs.getLong(16), rs.getLong(17), rs.getLong(18), rs.getLong(19), rs.getLong(20));
        BigDecimal cost = rs.getBigDecimal(21);
        return new AuditedPrompt(prompt, rs.getString(14), usage, cost == null ? BigDecimal.ZERO : cost.stripTrailingZeros(),
                rs.getInt(22));
    }

    private static Map<String, String> tags(String json) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            JSON.readTree(json).fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        } catch (JsonProcessingException e) {
            throw new SQLException("unreadable tags " + json, e);
        }
        return out;
    }

    private static List<PromptRecord.Message> messages(String json) throws SQLException {
        List<PromptRecord.Message> out = new ArrayList<>();
        try {
            for (JsonNode m : JSON.readTree(json)) out.add(new PromptRecord.Message(m.path("role").asText(), m.path("content").asText()));
        } catch (JsonProcessingException e) {
            throw new SQLException("unreadable messages " + json, e);
        }
        return out;
    }
}
