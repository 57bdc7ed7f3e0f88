package dev.tollgate.bench;

import dev.tollgate.store.duckdb.DuckDbLedger;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Whether the ledger's rows can skip DuckDB's write-ahead log (issue 17): the CPU per row of three ways to get
 * appended rows into the ledger's {@code requests} table (made by the real schema), on one thread, as fast as it goes.
 * <ul>
 * <li>{@code direct}: what {@code LedgerWriter} does: the Appender, a commit per batch (so each batch is in the log),
 * a {@code CHECKPOINT} at each full row group.</li>
 * <li>{@code staging}: the Appender into a table of an attached in-memory database (no log), a commit per batch,
 * and at each full row group one {@code INSERT INTO requests SELECT * FROM staging}, which DuckDB writes straight to
 * the file (its log then holds only block pointers), then a {@code DELETE} of the staged rows.</li>
 * <li>{@code long}: the Appender with a commit only every two row groups, to see whether a transaction that large
 * takes DuckDB's optimistic path too (the log's size at the end says).</li>
 * </ul>
 * DuckDB runs with the ledger's settings (one thread, 64 MiB, a 64 MB log), so its work is on this thread and counted.
 *
 * <pre>java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.tollgate.bench.DuckDbWritePaths
 *     [mode,mode,...] [row groups] [rows per batch] [rounds]</pre>
 */
public final class DuckDbWritePaths {

    private static final int ROW_GROUP = 122_880;

    public static void main(String[] args) throws Exception {
        String[] modes = (args.length > 0 ? args[0] : "direct,staging,long").split(",");
        int groups = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        if (ROW_GROUP % batch != 0) throw new IllegalArgumentException("rows per batch must divide " + ROW_GROUP);
        for (int r = 1; r <= rounds; r++) {
            for (String mode : modes) System.out.println("round " + r + ": " + run(mode, groups, batch));
        }
    }

    private static String run(String mode, int groups, int batch) throws Exception {
        if (!java.util.Set.of("direct", "staging", "long").contains(mode)) throw new IllegalArgumentException("mode " + mode);
        Path dir = Files.createTempDirectory("write-paths");
        try {
            DuckDbLedger.open(dir).close(); // the ledger's schema, at its latest version
            Path file = dir.resolve(DuckDbLedger.FILE_NAME);
            Properties p = new Properties();
            p.setProperty("memory_limit", "64MiB");
            p.setProperty("threads", "1");
            p.setProperty("allocator_flush_threshold", "16MiB");
            p.setProperty("allocator_background_threads", "true");
            try (DuckDBConnection c = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:" + file, p)) {
                try (Statement s = c.createStatement()) {
                    s.execute("SET checkpoint_threshold = '64MB'"); // the ledger's default (ledger.wal_max_mb)
                    if (mode.equals("staging")) {
                        s.execute("ATTACH ':memory:' AS staging");
                        s.execute("CREATE TABLE staging.requests AS SELECT * FROM requests LIMIT 0");
                    }
                }
                c.setAutoCommit(false);
                ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                long rows = (long) groups * ROW_GROUP, groupCpu = 0;
                long cpu0 = mx.getCurrentThreadCpuTime();
                DuckDBAppender a = null;
                for (long n = 0; n < rows; ) {
                    if (a == null) a = mode.equals("staging") ? c.createAppender("staging", "main", "requests")
                            : c.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "requests");
                    for (int i = 0; i < batch; i++) appendRow(a, n++);
                    a.flush();
                    if (!mode.equals("long")) c.commit();
                    if (n % ROW_GROUP != 0) continue;
                    a.close();
                    a = null;
                    long g0 = mx.getCurrentThreadCpuTime();
                    rowGroupFull(c, mode, n);
                    groupCpu += mx.getCurrentThreadCpuTime() - g0;
                }
                long cpu = mx.getCurrentThreadCpuTime() - cpu0;
                Path wal = Path.of(file + ".wal");
                return String.format("%-7s %,d rows in batches of %,d: %.2f µs CPU/row (of which at full row groups %.2f),"
                                + " log %,d bytes, file %,d bytes", mode, rows, batch, cpu / 1e3 / rows, groupCpu / 1e3 / rows,
                        Files.exists(wal) ? Files.size(wal) : 0, Files.size(file));
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** What each mode does when a row group of rows has been appended. */
    private static void rowGroupFull(DuckDBConnection c, String mode, long rows) throws SQLException {
        try (Statement s = c.createStatement()) {
            switch (mode) {
                case "direct" -> {
                    c.setAutoCommit(true); // CHECKPOINT runs outside a transaction
                    s.execute("CHECKPOINT");
                    c.setAutoCommit(false);
                }
                case "staging" -> { // a transaction writes to one database only: two commits
                    s.execute("INSERT INTO requests SELECT * FROM staging.requests");
                    c.commit();
                    s.execute("DELETE FROM staging.requests");
                    c.commit();
                }
                default -> {
                    if (rows % (2L * ROW_GROUP) == 0) c.commit();
                }
            }
        }
    }

    private static final String[] KEYS = {"search-prod", "search-staging", "support-bot", "batch-jobs"};
    private static final String[] TAGS = {"{\"env\":\"prod\",\"team\":\"search\"}", "{\"env\":\"staging\",\"team\":\"search\"}",
            "{\"env\":\"prod\",\"feature\":\"chat\",\"team\":\"support\"}", "{\"cost_center\":\"cc-17\",\"team\":\"data\"}"};
    private static final String[] MODELS = {"gpt-4o-mini", "gpt-4o", "claude-3-5-haiku"};
    private static final BigDecimal COST = new BigDecimal("0.000393000000"), ZERO = BigDecimal.ZERO.setScale(12);

    /** A row shaped like the gateway's (as {@code DuckDbWriterCost.Rows}), in {@code requests} column order. */
    private static void appendRow(DuckDBAppender a, long n) throws SQLException {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int k = r.nextInt(KEYS.length);
        String model = MODELS[r.nextInt(MODELS.length)];
        a.beginRow();
        a.appendEpochMicros(1_796_601_600_000_000L + n * 100);
        a.append("req_" + Long.toHexString(System.currentTimeMillis()) + Long.toHexString(r.nextLong() | Long.MIN_VALUE).substring(0, 13));
        a.append(KEYS[k]);
        a.append(TAGS[k]);
        a.append(model.startsWith("claude") ? "anthropic.messages" : "openai.chat");
        a.append(model.startsWith("claude") ? "anthropic" : "openai");
        a.append(model);
        a.append(model);
        a.append(model + "-2024-07-18");
        a.append(20L + r.nextInt(2000)).append(0L).append(0L).append(0L).append(1L + r.nextInt(400)).append(0L);
        a.append(COST);
        a.append(model + "@2024-07-18");
        a.append(200);
        a.appendNull();
        a.append(150_000L + r.nextInt(900_000));
        a.appendNull();
        a.append(false).append(false);
        a.appendNull();
        a.append(ZERO);
        a.append(false);
        a.append(1);
        a.appendNull();
        a.appendNull();
        a.endRow();
    }
}
