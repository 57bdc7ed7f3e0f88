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
 * What it would cost DuckDB to take the ledger's rows from the journal the gateway writes anyway (one JSON line a row,
 * {@link JournalCodec}) with {@code INSERT … SELECT … FROM read_json(segment)}, one transaction a segment, instead of
 * through the appender ({@link DuckDbWriterCost}): the process's CPU per row over {@code segments} segments of
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
        String cols = "{t: 'BIGINT', id: 'VARCHAR', key: 'VARCHAR', tags: 'JSON', api: 'VARCHAR', provider: 'VARCHAR',"
                + " deployment: 'VARCHAR', requested: 'VARCHAR', served: 'VARCHAR', usage: 'BIGINT[]', cost: 'VARCHAR',"
                + " price: 'VARCHAR', status: 'INTEGER', error: 'VARCHAR', latency: 'BIGINT', ttft: 'BIGINT', stream: 'BOOLEAN',"
                + " estimated: 'BOOLEAN', cache: 'VARCHAR', saved: 'VARCHAR', unpriced: 'BOOLEAN',"
                + " attempt: 'STRUCT(n INTEGER, reason VARCHAR, upstream VARCHAR)'}";
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve("ledger.duckdb"))) {
            try (Statement s = c.createStatement()) {
                s.execute("SET threads = " + Integer.parseInt(threads));
                s.execute("SET memory_limit = '64MB'");
            }
            c.setAutoCommit(false);
            long cpu0 = cpu(), t0 = System.nanoTime(), done = 0;
            for (Path f : files) {
                try (Statement s = c.createStatement()) {
                    s.execute("INSERT INTO requests BY NAME SELECT make_timestamp(t) AS time, id AS request_id, key AS key_name,"
                            + " tags::VARCHAR AS tags, api, provider, deployment, requested AS requested_model, served AS served_model,"
                            + " usage[1] AS input_tokens, usage[2] AS cached_input_tokens, usage[3] AS cache_write_5m_tokens,"
                            + " usage[4] AS cache_write_1h_tokens, usage[5] AS output_tokens, usage[6] AS reasoning_tokens,"
                            + " cost::DECIMAL(38,12) AS cost_usd, price AS price_version, status, error, latency AS latency_us,"
                            + " CASE WHEN ttft < 0 THEN NULL ELSE ttft END AS ttft_us, stream, estimated, cache,"
                            + " saved::DECIMAL(38,12) AS saved_usd, unpriced, coalesce(attempt.n, 1) AS attempt,"
                            + " attempt.reason AS attempt_reason, attempt.upstream AS upstream_model"
                            + " FROM read_json('" + f + "', format = 'newline_delimited', columns = " + cols + ")");
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
