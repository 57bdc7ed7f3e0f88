package dev.tollgate.store.duckdb;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Reads a ledger file that no gateway has open, for planning from history (forecast, what-if replay): rows streamed
 * in time order, and daily totals per scope. The connection is read-only, so several readers may share the file.
 *
 * <p>DuckDB lets no other process open a file a writer holds; {@link #open} then throws {@link LedgerBusyException}
 * with a message a person can act on, never DuckDB's own lock error.
 */
public final class LedgerScan implements AutoCloseable {

    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    /** One ledger row, as much of it as replaying needs. {@code tags} is the stored JSON text, unparsed. */
    public record Row(long epochMicros, String keyName, String tags, String requestedModel, String servedModel,
                      long inputTokens, long cachedInputTokens, long cacheWrite5mTokens, long cacheWrite1hTokens,
                      long outputTokens, long reasoningTokens, BigDecimal costUsd, int status) {
    }

    /** Spend of one scope on one UTC day. */
    public record DaySpend(LocalDate day, String scope, BigDecimal costUsd, long requests) {
    }

    /** The file is held by another process (a running gateway). */
    public static final class LedgerBusyException extends RuntimeException {
        public LedgerBusyException(String message) {
            super(message);
        }
    }

    private final Connection conn;

    private LedgerScan(Connection conn) {
        this.conn = conn;
    }

    /** Opens {@code dataDir/ledger.duckdb} read-only. */
    public static LedgerScan open(Path dataDir) {
        Path file = dataDir.resolve(DuckDbLedger.FILE_NAME).toAbsolutePath();
        if (!Files.exists(file)) throw new IllegalStateException("no ledger at " + file + " (is --data right?)");
        Properties p = new Properties();
        p.setProperty("duckdb.read_only", "true");
        try {
            return new LedgerScan(DriverManager.getConnection("jdbc:duckdb:" + file, p));
        } catch (SQLException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("lock")) {
                throw new LedgerBusyException("the ledger " + file + " is open in a running Tollgate gateway, which "
                        + "allows no other reader; ask the gateway instead (--gateway URL --admin-token TOKEN) or stop it first");
            }
            throw new IllegalStateException("cannot read the ledger at " + file + ": " + m, e);
        }
    }

    /** Rows with {@code from <= time < to} (either may be null for unbounded). */
    public long count(Instant from, Instant to) {
        try (PreparedStatement p = conn.prepareStatement("SELECT count(*) FROM requests WHERE " + range(from, to))) {
            bindRange(p, from, to, 1);
            try (ResultSet rs = p.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    /** Streams the rows with {@code from <= time < to} in time order to {@code sink}. */
    public void scan(Instant from, Instant to, Consumer<Row> sink) {
        String sql = """
                SELECT epoch_us(time), key_name, tags, requested_model, served_model, input_tokens, cached_input_tokens,
                       cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, cost_usd, status
                FROM requests WHERE """ + range(from, to) + " ORDER BY time";
        try (PreparedStatement p = conn.prepareStatement(sql)) {
            bindRange(p, from, to, 1);
            p.setFetchSize(8192);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    sink.accept(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getLong(11),
                            rs.getBigDecimal(12), rs.getInt(13)));
                }
            }
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    /**
     * Spend per UTC day and scope. The scope is the value of tag {@code scopeTag} ("(none)" for rows without it), or
     * "all" when {@code scopeTag} is null.
     */
    public List<DaySpend> dailySpend(Instant from, Instant to, String scopeTag) {
        String scope = "'all'";
        if (scopeTag != null) {
            if (!TAG.matcher(scopeTag).matches()) throw new IllegalArgumentException("not a tag name: " + scopeTag);
            scope = "coalesce(json_extract_string(tags, ?), '(none)')";
        }
        String sql = "SELECT CAST(time AS DATE), " + scope + ", sum(cost_usd), count(*) FROM requests WHERE "
                + range(from, to) + " GROUP BY 1, 2 ORDER BY 1, 2";
        try (PreparedStatement p = conn.prepareStatement(sql)) {
            int i = 1;
            if (scopeTag != null) p.setString(i++, "$.\"" + scopeTag + "\"");
            bindRange(p, from, to, i);
            List<DaySpend> out = new ArrayList<>();
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(new DaySpend(rs.getObject(1, LocalDate.class), rs.getString(2),
                            rs.getBigDecimal(3).stripTrailingZeros(), rs.getLong(4)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    /** The first and last row times, or null for an empty ledger. */
    public Instant[] span() {
        try (Statement s = conn.createStatement();
             ResultSet rs = s.executeQuery("SELECT epoch_us(min(time)), epoch_us(max(time)) FROM requests")) {
            rs.next();
            long min = rs.getLong(1);
            if (rs.wasNull()) return null;
            return new Instant[] {micros(min), micros(rs.getLong(2))};
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    private static Instant micros(long us) {
        return Instant.ofEpochSecond(Math.floorDiv(us, 1_000_000L), Math.floorMod(us, 1_000_000L) * 1_000L);
    }

    private static String range(Instant from, Instant to) {
        return (from == null ? "true" : "time >= make_timestamp(?::BIGINT)") + (to == null ? "" : " AND time < make_timestamp(?::BIGINT)");
    }

    private static void bindRange(PreparedStatement p, Instant from, Instant to, int first) throws SQLException {
        int i = first;
        if (from != null) p.setLong(i++, LedgerWriter.epochMicros(from));
        if (to != null) p.setLong(i, LedgerWriter.epochMicros(to));
    }

    private static IllegalStateException failed(SQLException e) {
        return new IllegalStateException("reading the ledger failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        try {
            conn.close();
        } catch (SQLException ignored) {
            // read-only: nothing to lose
        }
    }
}
