package dev.tollgate.store.postgres;

import dev.tollgate.store.BatchedLog;
import dev.tollgate.store.ShadowAnswer;
import dev.tollgate.store.ShadowLog;
import dev.tollgate.store.duckdb.DuckDbShadowLog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Shadowed answers beside the shared ledger, table {@code shadow_answers} (migration V3): every replica's, so
 * {@code eval --shadow} grades the candidate on the whole group's shadow traffic. Written as {@link PgPromptLog}
 * writes prompts; read exactly as {@link DuckDbShadowLog} reads them.
 */
public final class PgShadowLog extends BatchedLog<ShadowAnswer> implements ShadowLog {

    static final int MAX_BATCH = 512;
    static final int QUEUE_CAPACITY = 16_384;
    private static final String INSERT =
            "INSERT INTO shadow_answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

    private final PgDatabase db;

    PgShadowLog(PgDatabase db) {
        super("shadow answers", QUEUE_CAPACITY, MAX_BATCH, true);
        this.db = db;
    }

    @Override
    protected void write(List<ShadowAnswer> batch) throws SQLException {
        db.insertBatch(INSERT, batch, (p, s) -> {
            p.setObject(1, PgLedger.timestamp(s.time()));
            p.setString(2, s.requestId());
            p.setString(3, s.route());
            p.setString(4, s.candidate());
            p.setString(5, s.api());
            p.setString(6, PgText.of(s.prompt()));
            p.setString(7, s.productionModel());
            p.setString(8, PgText.of(s.productionAnswer()));
            p.setBigDecimal(9, PgLedgerWriter.money(s.productionCostUsd()));
            p.setLong(10, s.productionMillis());
            p.setString(11, PgText.of(s.candidateAnswer()));
            p.setBigDecimal(12, PgLedgerWriter.money(s.candidateCostUsd()));
            p.setLong(13, s.candidateMillis());
            p.setString(14, PgText.of(s.candidateError()));
        });
    }

    @Override
    public List<ShadowAnswer> answers(String route, Instant from, Instant to) {
        List<Object> params = new ArrayList<>();
        params.add(route);
        StringBuilder sql = new StringBuilder("""
                SELECT (extract(epoch FROM time) * 1000000)::bigint, request_id, route, candidate, api, prompt,
                       production_model, production_answer, production_cost_usd, production_ms, candidate_answer,
                       candidate_cost_usd, candidate_ms, candidate_error
                FROM shadow_answers WHERE route = ?""");
        sql.append(" AND ").append(PgSpendSql.range("time", from, to, params));
        sql.append(" ORDER BY time, request_id COLLATE \"C\"");
        try (Connection c = db.connection(); PreparedStatement p = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < params.size(); i++) p.setObject(i + 1, params.get(i));
            return DuckDbShadowLog.answers(p);
        } catch (SQLException e) {
            throw new IllegalStateException("shadow answers query failed: " + e.getMessage(), e);
        }
    }
}
