package dev.tollgate.store.postgres;

import dev.tollgate.store.AuditedPrompt;
import dev.tollgate.store.BatchedLog;
import dev.tollgate.store.PromptLog;
import dev.tollgate.store.PromptRecord;
import dev.tollgate.store.duckdb.DuckDbPromptLog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The prompt log beside the shared ledger, table {@code prompts} (migration V3): every replica's sampled prompts, so
 * the prompt audit and {@code eval --prompt-log} see the whole group's. Rows are written by a
 * {@link dev.tollgate.store.BatchWriter}, one batched INSERT a transaction on a pooled connection; while PostgreSQL
 * cannot be written, batches are dropped and counted (prompts are a sample; the ledger's own rows wait in its spool);
 * a prompt already there (a second {@code ledger copy}) is kept once. Queries answer exactly as
 * {@link DuckDbPromptLog}'s for the same rows, the seeded sample included (both order by the same MD5).
 */
public final class PgPromptLog extends BatchedLog<PromptRecord> implements PromptLog {

    static final int MAX_BATCH = 512;
    static final int QUEUE_CAPACITY = 65_536;
    private static final String INSERT =
            "INSERT INTO prompts VALUES (?, ?, ?, ?::jsonb, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

    private final PgDatabase db;

    PgPromptLog(PgDatabase db) {
        super("prompts", QUEUE_CAPACITY, MAX_BATCH, false);
        this.db = db;
    }

    @Override
    public long droppedPrompts() {
        return dropped();
    }

    @Override
    protected void write(List<PromptRecord> batch) throws SQLException {
        db.insertBatch(INSERT, batch, (p, r) -> {
            p.setObject(1, PgLedger.timestamp(r.time()));
            p.setString(2, r.requestId());
            p.setString(3, r.keyName());
            p.setString(4, PgLedgerWriter.tagsJson(r.tags()));
            p.setString(5, r.api());
            p.setString(6, r.model());
            p.setString(7, PgText.of(r.systemPrompt()));
            p.setString(8, DuckDbPromptLog.messagesJson(r.messages().stream()
                    .map(m -> new PromptRecord.Message(m.role(), PgText.of(m.content()))).toList()));
            if (r.maxTokens() < 0) p.setNull(9, Types.BIGINT); else p.setLong(9, r.maxTokens());
            p.setLong(10, r.systemTokens());
            p.setLong(11, r.historyTokens());
            p.setLong(12, r.userTokens());
            p.setDouble(13, r.sampleRate());
            p.setString(14, PgText.of(r.answer()));
        });
    }

    /**
     * The audit's columns, in {@link DuckDbPromptLog#rows}' order: a logged prompt and its request's standing row (a
     * cascade's escalated attempts are not), for successful client requests (shadow calls share the id; not theirs).
     */
    private static final String COLUMNS = """
            SELECT (extract(epoch FROM p.time) * 1000000)::bigint AS t, p.request_id, p.key_name, p.tags::text, p.api,
                   p.model, p.system_prompt, p.messages::text, p.max_tokens, p.system_tokens, p.history_tokens,
                   p.user_tokens, p.sample_rate, coalesce(split_part(r.price_version, '@', 1), r.served_model) AS priced_model,
                   r.input_tokens, r.cached_input_tokens, r.cache_write_5m_tokens, r.cache_write_1h_tokens,
                   r.output_tokens, r.reasoning_tokens, r.cost_usd, r.status, p.answer
            FROM prompts p JOIN requests r ON r.request_id = p.request_id AND r.attempt_reason IS NULL
            WHERE r.status < 400 AND r.tags ->> 'shadow' IS NULL""";

    /** Text is ordered byte-wise, as DuckDB orders it, whatever the database's collation. */
    private static final String OUTER_ORDER = ") s ORDER BY t, request_id COLLATE \"C\"";

    @Override
    public List<AuditedPrompt> audited(Instant from, Instant to, int limit) {
        List<Object> params = new ArrayList<>();
        String sql = "SELECT * FROM (" + COLUMNS + " AND " + PgSpendSql.range("p.time", from, to, params) + " ORDER BY p.time DESC LIMIT ?" + OUTER_ORDER;
        params.add(limit);
        return query(sql, params);
    }

    @Override
    public List<AuditedPrompt> sample(Instant from, Instant to, int n, long seed, List<Map<String, String>> excluding) {
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT * FROM (").append(COLUMNS).append(" AND ").append(PgSpendSql.range("p.time", from, to, params))
                .append(" AND p.answer IS NOT NULL");
        for (Map<String, String> set : excluding) {
            if (set.isEmpty()) continue;
            sql.append(" AND NOT coalesce(")
                    .append(String.join(" AND ", Collections.nCopies(set.size(), "p.tags ->> ? = ?"))).append(", false)");
            set.forEach((k, v) -> {
                params.add(k);
                params.add(v);
            });
        }
        sql.append(" ORDER BY md5(p.request_id || ?) COLLATE \"C\", p.request_id COLLATE \"C\" LIMIT ?").append(OUTER_ORDER);
        params.add(Long.toString(seed));
        params.add(n);
        return query(sql.toString(), params);
    }

    private List<AuditedPrompt> query(String sql, List<Object> params) {
        try (Connection c = db.connection(); PreparedStatement p = c.prepareStatement(sql)) {
            for (int i = 0; i < params.size(); i++) p.setObject(i + 1, params.get(i));
            return DuckDbPromptLog.rows(p);
        } catch (SQLException e) {
            throw new IllegalStateException("prompt log query failed: " + e.getMessage(), e);
        }
    }
}
