package dev.tollgate.bench;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.duckdb.JournalCodec;

import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * What it costs DuckDB to take the ledger's rows from the journal the gateway writes anyway (one JSON line a row,
 * {@link JournalCodec}) with the ledger writer's statement ({@link JournalCodec#insertSql}: {@code INSERT … SELECT …
 * FROM read_json(segment)}), one transaction a segment, DuckDB alone (the whole writer: {@link DuckDbWriterCost}): the process's CPU per row over {@code segments} segments of
 * {@code rows} rows each (checkpointing at each full row group, as the writer does), with DuckDB on {@code threads}
 * threads (1). The rows are {@link DuckDbWriterCost.Rows}'; their cost is summed in Java and by DuckDB, which must agree.
 *
 * <pre>java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.tollgate.bench.JsonIngestCost 2 122880</pre>
 */
public final class JsonIngestCost {
    public static void main(String[] args) throws Exception {
        int segments = Integer.parseInt(args[0]), perSegment = Integer.parseInt(args[1]);
        String threads = args.length > 2 ? args[2] : "1";
        Path dir = Files.createTempDirectory("ingest");
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) { ledger.flush(); }
        DuckDbWriterCost.Rows rows = new DuckDbWriterCost.Rows();
        List<Path> files = new ArrayList<>();
        BigDecimal expected = BigDecimal.ZERO;
        for (int s = 0; s < segments; s++) {
            Path f = dir.resolve("seg-" + s + ".jsonl");
            try (OutputStream out = Files.newOutputStream(f)) {
                for (int i = 0; i < perSegment; i++) {
                    LedgerEntry row = rows.next();
                    expected = expected.add(row.costUsd());
                    out.write(JournalCodec.encode(row));
                }
            }
            files.add(f);
        }
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve("ledger.duckdb"))) {
            try (Statement s = c.createStatement()) {
                s.execute("SET threads = " + Integer.parseInt(threads));
                s.execute("SET memory_limit = '64MB'");
            }
            c.setAutoCommit(false);
            long cpu0 = cpu(), t0 = System.nanoTime(), done = 0;
            for (Path f : files) {
                try (Statement s = c.createStatement()) {
                    s.execute(JournalCodec.insertSql(List.of(f))); // the ledger writer's own statement
                }
                c.commit();
                done += perSegment;
                if (done % 122_880 < perSegment) {
                    c.setAutoCommit(true);
                    try (Statement s = c.createStatement()) { s.execute("CHECKPOINT"); }
                    c.setAutoCommit(false);
                }
            }
            long cpu = cpu() - cpu0, wall = System.nanoTime() - t0;
            try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT count(*), sum(cost_usd) FROM requests")) {
                rs.next();
                System.out.printf("%,d rows in segments of %,d: process CPU %.2f µs/row, wall %.2f µs/row; cost $%s (Java's sum $%s)%n",
                        rs.getLong(1), perSegment, cpu / 1e3 / done, wall / 1e3 / done, rs.getBigDecimal(2).stripTrailingZeros().toPlainString(),
                        expected.stripTrailingZeros().toPlainString());
            }
        }
    }

    /** The process's CPU time in ns (all threads), from /proc/self/stat. */
    static long cpu() throws Exception {
        String[] f = Files.readString(Path.of("/proc/self/stat")).split(" ");
        return (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 10_000_000L;
    }
}
