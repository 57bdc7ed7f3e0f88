package dev.tollgate.bench;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * How many ledger rows per second the DuckDB writer commits: a batch of realistic rows appended, then flushed
 * (which waits until they are committed). The score is time per row.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(java.util.concurrent.TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class LedgerIngestBenchmark {

    private static final int BATCH = 10_000;

    private Path dir;
    private DuckDbLedger ledger;
    private LedgerEntry[] rows;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("tollgate-ledger-bench");
        ledger = DuckDbLedger.open(dir);
        rows = new LedgerEntry[BATCH];
        Instant t0 = Instant.parse("2026-11-01T00:00:00Z");
        for (int i = 0; i < BATCH; i++) {
            rows[i] = new LedgerEntry(t0.plusMillis(i), "req_1a2155%018x".formatted(i), "search-prod",
                    Map.of("team", "search", "env", "prod", "feature", "f" + (i % 5)), "openai.chat", "openai",
                    "gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", Usage.openAi(1117, 1024, 46, 0),
                    new BigDecimal("0.0000705"), "gpt-4o-mini@2024-07-18", 200, null, 412_000, 180_000, false, false);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        ledger.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void appendAndCommit() {
        for (LedgerEntry row : rows) ledger.append(row);
        ledger.flush();
    }
}
