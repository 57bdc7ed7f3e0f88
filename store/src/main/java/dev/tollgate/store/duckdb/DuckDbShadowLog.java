package dev.tollgate.store.duckdb;

import dev.tollgate.store.BatchWriter;
import dev.tollgate.store.ShadowAnswer;
import dev.tollgate.store.ShadowLog;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * Shadowed answers in the ledger's DuckDB file, table {@code shadow_answers} (schema version 14). Owned by
 * {@link DuckDbLedger}, which opens it on first use and closes it before itself. Rows are written by a
 * {@link BatchWriter} (at most {@value #MAX_BATCH} rows or 200 ms a batch), as the prompt log's are, on a thread at a low
 * CPU priority: shadow work never competes with the clients'.
 */
public final class DuckDbShadowLog extends DuckDbBatchedLog<ShadowAnswer> implements ShadowLog {

    static final int MAX_BATCH = 512;
    static final int QUEUE_CAPACITY = 16_384;


    DuckDbShadowLog(DuckDBConnection conn, DuckDbLedger ledger) throws SQLException {
        super("shadow answers", "shadow_answers", QUEUE_CAPACITY, MAX_BATCH, true, conn, ledger);
    }

    /** One row in {@code shadow_answers} column order (see {@link LedgerSchema}, version 14). */
    @Override
    void appendRow(DuckDBAppender a, ShadowAnswer s) throws SQLException {
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
            return answers(p);
        }
    }

    /**
     * Runs a query of {@code ANSWERS}' columns (the time as epoch microseconds; the shared ledger's {@code PgShadowLog}
     * selects the same) and reads its rows.
     */
    public static List<ShadowAnswer> answers(PreparedStatement p) throws SQLException {
        List<ShadowAnswer> out = new java.util.ArrayList<>();
        try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) out.add(answer(rs));
        }
        return out;
    }

    private static ShadowAnswer answer(ResultSet rs) throws SQLException {
        long micros = rs.getLong(1);
        Instant time = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
        return new ShadowAnswer(time, rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getString(8), money(rs.getBigDecimal(9)), rs.getLong(10),
                rs.getString(11), money(rs.getBigDecimal(12)), rs.getLong(13), rs.getString(14));
    }

    /** Every kept answer of every route, oldest first (a copy into another ledger). */
    public void forEach(java.util.function.Consumer<ShadowAnswer> sink) {
        ledger.read(c -> {
            try (java.sql.Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    ANSWERS.substring(0, ANSWERS.indexOf("WHERE")) + "ORDER BY time, request_id, route")) {
                while (rs.next()) sink.accept(answer(rs));
            }
            return null;
        });
    }

    /** Without padding zeros, never in exponent form (10, not 1E+1), as the ledgers answer costs. */
    static BigDecimal money(BigDecimal v) {
        if (v == null) return BigDecimal.ZERO;
        BigDecimal s = v.stripTrailingZeros();
        return s.scale() < 0 ? s.setScale(0) : s;
    }
}
