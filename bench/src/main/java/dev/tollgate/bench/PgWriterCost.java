package dev.tollgate.bench;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.duckdb.LedgerOptions;
import dev.tollgate.store.postgres.PgDatabase;
import dev.tollgate.store.postgres.PgLedger;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the ledger writer costs per row, embedded DuckDB and shared PostgreSQL side by side in one run: rows appended
 * in bursts as fast as one thread can, then flushed; reported as rows/s (first append to flush done) and as CPU
 * microseconds per row of the writer thread (ThreadMXBean; PostgreSQL's own backend CPU is not in it). Median of
 * {@code rounds}.
 *
 * <pre>java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.tollgate.bench.PgWriterCost [rows] [rounds] [postgres-url]</pre>
 */
public final class PgWriterCost {

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String url = args.length > 2 ? args[2] : "postgres://postgres@127.0.0.1:5432/test";
        String schema = "bench_" + Long.toHexString(System.nanoTime());
        List<double[]> duck = new ArrayList<>(), pg = new ArrayList<>();
        try (PgDatabase db = PgDatabase.open(url, schema, 4)) {
            for (int r = 0; r < rounds; r++) {
                Path dir = Files.createTempDirectory("writer-cost");
                try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
                    duck.add(measure(ledger, "tollgate-ledger-writer", rows, r));
                }
                try (PgLedger ledger = PgLedger.open(db, dir.resolve("pg-journal"), LedgerOptions.DEFAULTS)) {
                    pg.add(measure(ledger, "tollgate-pg-ledger-writer", rows, r));
                }
                System.out.printf("round %d: duckdb %,.0f rows/s %.2f µs/row | postgres %,.0f rows/s %.2f µs/row%n", r + 1,
                        duck.getLast()[0], duck.getLast()[1], pg.getLast()[0], pg.getLast()[1]);
            }
        } finally {
            try (Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
                 Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            } catch (Exception ignored) {
                // another URL: the schema stays
            }
        }
        System.out.printf("median of %d rounds of %,d rows: duckdb %,.0f rows/s, %.2f µs CPU/row | postgres %,.0f rows/s, %.2f µs CPU/row%n",
                rounds, rows, median(duck, 0), median(duck, 1), median(pg, 0), median(pg, 1));
    }

    private static double[] measure(Ledger ledger, String writerThread, int rows, int round) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long tid = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(writerThread))
                .findFirst().orElseThrow().threadId();
        long cpu0 = threads.getThreadCpuTime(tid);
        long t0 = System.nanoTime();
        for (int i = 0; i < rows; i++) ledger.append(row(round, i));
        ledger.flush();
        long wall = System.nanoTime() - t0;
        long cpu = threads.getThreadCpuTime(tid) - cpu0;
        return new double[] {rows / (wall / 1e9), cpu / 1e3 / rows};
    }

    private static double median(List<double[]> runs, int field) {
        double[] v = runs.stream().mapToDouble(r -> r[field]).sorted().toArray();
        return v[v.length / 2];
    }

    private static LedgerEntry row(int round, long id) {
        return new LedgerEntry(Instant.now(), "req-" + round + "-" + id, "search-prod", Map.of("team", "search", "env", "prod"),
                "openai.chat", "openai", "gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini-2024-07-18",
                Usage.openAi(1117, 1024, 46, 0), new BigDecimal("0.0000621"), "gpt-4o-mini@2024-07-18", 200, null,
                412_000, -1, false, false);
    }
}
