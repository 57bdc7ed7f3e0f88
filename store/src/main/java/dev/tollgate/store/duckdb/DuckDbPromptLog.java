package dev.tollgate.store.duckdb;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.AuditedPrompt;
import dev.tollgate.store.BatchWriter;
import dev.tollgate.store.PromptLog;
import dev.tollgate.store.PromptRecord;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The prompt log in the ledger's DuckDB file, table {@code prompts} (schema version 5). Owned by
 * {@link DuckDbLedger}, which opens it on first use and closes it before itself. Rows are written by a
 * {@link BatchWriter} (at most {@value #MAX_BATCH} rows or 200 ms a batch); a full queue drops the prompt rather than
 * holding up anyone.
 */
public final class DuckDbPromptLog extends DuckDbBatchedLog<PromptRecord> implements PromptLog {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_BATCH = 512;
    static final int QUEUE_CAPACITY = 65_536;


    /** {@code conn} is this log's own write connection; queries run through the ledger's reads. */
    DuckDbPromptLog(DuckDBConnection conn, DuckDbLedger ledger) throws SQLException {
        super("prompts", "prompts", QUEUE_CAPACITY, MAX_BATCH, false, conn, ledger);
    }

    @Override
    public long droppedPrompts() {
        return dropped();
    }

    /** One row in {@code prompts} column order (see {@link LedgerSchema}, versions 5 and 17). */
    @Override
    void appendRow(DuckDBAppender a, PromptRecord p) throws SQLException {
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

    /** The messages as stored: a JSON array of {@code {role, content}}. */
    public static String messagesJson(List<PromptRecord.Message> messages) {
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

    /**
     * A seeded draw: rows ordered by the MD5 of their request id and the seed, so the same rows give the same sample,
     * and the shared ledger in PostgreSQL ({@code PgPromptLog}), which has the same function, draws the same one.
     */
    private static final String SAMPLE_ORDER = " ORDER BY md5(p.request_id || ?), p.request_id LIMIT ?) ORDER BY t, request_id";

    @Override
    public List<AuditedPrompt> sample(Instant from, Instant to, int n, long seed, List<Map<String, String>> excluding) {
        StringBuilder sql = new StringBuilder("SELECT * FROM (").append(COLUMNS).append(" AND p.answer IS NOT NULL");
        for (Map<String, String> set : excluding) {
            if (set.isEmpty()) continue;
            sql.append(" AND NOT coalesce(");
            sql.append(String.join(" AND ", java.util.Collections.nCopies(set.size(), "json_extract_string(p.tags, ?) = ?")));
            sql.append(", false)");
        }
        sql.append(SAMPLE_ORDER);
        return ledger.read(c -> {
            try (PreparedStatement p = c.prepareStatement(sql.toString())) {
                bindRange(p, from, to);
                int i = 5;
                for (Map<String, String> set : excluding) {
                    for (Map.Entry<String, String> e : set.entrySet()) {
                        p.setString(i++, "$.\"" + e.getKey().replace("\"", "") + "\"");
                        p.setString(i++, e.getValue());
                    }
                }
                p.setString(i++, Long.toString(seed));
                p.setInt(i, n);
                return rows(p);
            }
        });
    }

    /** Every logged prompt, oldest first, as it was appended (a copy into another ledger). */
    public void forEach(java.util.function.Consumer<PromptRecord> sink) {
        ledger.read(c -> {
            // the audit's columns, the ledger row's left empty: only the prompt is read
            try (java.sql.Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                    SELECT epoch_us(time), request_id, key_name, tags, api, model, system_prompt, messages, max_tokens,
                           system_tokens, history_tokens, user_tokens, sample_rate, NULL, 0, 0, 0, 0, 0, 0, NULL, 0, answer
                    FROM prompts ORDER BY time, request_id""")) {
                while (rs.next()) sink.accept(row(rs).prompt());
            }
            return null;
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

    /**
     * Runs a query of the audit's columns ({@code COLUMNS} here; the shared ledger's {@code PgPromptLog} selects the
     * same ones, its time as epoch microseconds too) and reads its rows.
     */
    public static List<AuditedPrompt> rows(PreparedStatement p) throws SQLException {
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
        return new AuditedPrompt(prompt, rs.getString(14), usage, DuckDbShadowLog.money(cost), rs.getInt(22));
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
