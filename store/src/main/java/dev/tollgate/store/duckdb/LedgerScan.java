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

    /** Traffic of one clock hour: requests and tokens. */
    public record HourTokens(Instant hour, long requests, long inputTokens, long outputTokens) {
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

    /** Its connection (tests read DuckDB's settings through it). */
    Connection connection() {
        return conn;
    }

    /**
     * A scan over a connection of the process that holds the file (see {@link DuckDbLedger#scan}); closing the scan
     * closes that connection.
     */
    static LedgerScan over(Connection conn) {
        return new LedgerScan(conn);
    }

    /** Opens {@code dataDir/ledger.duckdb} read-only. */
    public static LedgerScan open(Path dataDir) {
        Path file = dataDir.resolve(DuckDbLedger.FILE_NAME).toAbsolutePath();
        if (!Files.exists(file)) throw new IllegalStateException("no ledger at " + file + " (is --data right?)");
        Properties p = LedgerOptions.DEFAULTS.duckDbProperties(); // the CLI's DuckDB is bounded as the gateway's
        p.setProperty("duckdb.read_only", "true");
        // rows reach the caller while DuckDB still produces them, instead of after the whole result is built
        p.setProperty("jdbc_stream_results", "true");
        try {
            return new LedgerScan(DriverManager.getConnection("jdbc:duckdb:" + file, p));
        } catch (SQLException e) {
            String m = String.valueOf(e.getMessage());
            // another process holds the file ("Could not set lock"), or this one does with write access
            if (m.contains("lock") || m.contains("different configuration")) {
                throw new LedgerBusyException("the ledger " + file + " is open in a running Tollgate gateway, which "
                        + "lets no other process read it; stop the gateway first");
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

    /**
     * Streams the rows with {@code from <= time < to} in time order to {@code sink}.
     *
     * <p>Reading strings through JDBC costs far more than reading numbers, and the text columns hold few distinct
     * values (keys, tags, models), so the scan reads a 63-bit hash of each and maps it back through a dictionary
     * of the distinct values read first: every row's strings are the same shared instances.
     */
    public void scan(Instant from, Instant to, Consumer<Row> sink) {
        scan(from, to, true, sink);
    }

    /** As {@link #scan(Instant, Instant, Consumer)}; unordered when the caller does not need time order (no sort). */
    public void scan(Instant from, Instant to, boolean timeOrder, Consumer<Row> sink) {
        Dictionary dict = dictionary(from, to);
        // \s: a text block drops trailing spaces, and "WHEREtime" is a syntax error ("WHEREtrue" an alias)
        String sql = """
                SELECT epoch_us(time), %s, %s, %s, %s, input_tokens, cached_input_tokens,
                       cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, cost_usd, status
                FROM requests WHERE\s""".formatted(id("key_name"), id("tags"), id("requested_model"), id("served_model"))
                + range(from, to) + (timeOrder ? " ORDER BY time" : "");
        try (PreparedStatement p = conn.prepareStatement(sql)) {
            bindRange(p, from, to, 1);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    sink.accept(new Row(rs.getLong(1), dict.get(rs.getLong(2)), dict.get(rs.getLong(3)),
                            dict.get(rs.getLong(4)), dict.get(rs.getLong(5)),
                            rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getLong(11),
                            rs.getBigDecimal(12), rs.getInt(13)));
                }
            }
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    private static String id(String column) {
        return "CAST(hash(" + column + ") >> 1 AS BIGINT)";
    }

    /** Every distinct key, tags, and model text in the range, by its hash. */
    private Dictionary dictionary(Instant from, Instant to) {
        Dictionary dict = new Dictionary();
        StringBuilder sql = new StringBuilder();
        for (String column : new String[] {"key_name", "tags", "requested_model", "served_model"}) {
            if (!sql.isEmpty()) sql.append(" UNION ");
            sql.append("SELECT DISTINCT ").append(id(column)).append(", ").append(column)
                    .append(" FROM requests WHERE ").append(range(from, to));
        }
        try (PreparedStatement p = conn.prepareStatement(sql.toString())) {
            int i = 1;
            for (int k = 0; k < 4; k++) {
                if (from != null) p.setLong(i++, LedgerWriter.epochMicros(from));
                if (to != null) p.setLong(i++, LedgerWriter.epochMicros(to));
            }
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) dict.put(rs.getLong(1), rs.getString(2));
            }
        } catch (SQLException e) {
            throw failed(e);
        }
        return dict;
    }

    /** Hash → text, open addressing on primitive longs (a lookup per column per row must not allocate). */
    static final class Dictionary {
        private long[] keys = new long[64];
        private String[] values = new String[64];
        private boolean[] used = new boolean[64];
        private int size;

        void put(long key, String value) {
            if ((size + 1) * 2 > keys.length) grow();
            int i = slot(key, keys.length);
            while (used[i]) {
                if (keys[i] == key) {
                    if (!java.util.Objects.equals(values[i], value)) {
                        throw new IllegalStateException("two ledger values share a hash: '" + values[i] + "' and '" + value + "'");
                    }
                    return;
                }
                i = (i + 1) & (keys.length - 1);
            }
            used[i] = true;
            keys[i] = key;
            values[i] = value;
            size++;
        }

        String get(long key) {
            int i = slot(key, keys.length);
            while (used[i]) {
                if (keys[i] == key) return values[i];
                i = (i + 1) & (keys.length - 1);
            }
            return null;
        }

        private static int slot(long key, int capacity) {
            return (int) (key ^ (key >>> 32)) * 0x9E3779B9 >>> 1 & (capacity - 1);
        }

        private void grow() {
            long[] k = keys;
            String[] v = values;
            boolean[] u = used;
            keys = new long[k.length * 2];
            values = new String[k.length * 2];
            used = new boolean[k.length * 2];
            size = 0;
            for (int i = 0; i < k.length; i++) if (u[i]) put(k[i], v[i]);
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

    /** Requests and tokens per clock hour served by {@code provider} (as configured in the gateway), in time order. */
    public List<HourTokens> hourlyTokens(Instant from, Instant to, String provider) {
        String sql = "SELECT epoch_us(date_trunc('hour', time)), count(*), CAST(sum(input_tokens) AS BIGINT), "
                + "CAST(sum(output_tokens) AS BIGINT) FROM requests WHERE provider = ? AND " + range(from, to)
                + " GROUP BY 1 ORDER BY 1";
        try (PreparedStatement p = conn.prepareStatement(sql)) {
            p.setString(1, provider);
            bindRange(p, from, to, 2);
            List<HourTokens> out = new ArrayList<>();
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) out.add(new HourTokens(micros(rs.getLong(1)), rs.getLong(2), rs.getLong(3), rs.getLong(4)));
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
