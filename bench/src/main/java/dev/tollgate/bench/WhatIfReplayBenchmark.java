package dev.tollgate.bench;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.planner.whatif.PipelinedReplay;
import dev.tollgate.planner.whatif.ReplayEngine;
import dev.tollgate.planner.whatif.ReplayPolicy;
import dev.tollgate.planner.whatif.ReplayResult;
import dev.tollgate.planner.whatif.Route;
import dev.tollgate.store.duckdb.LedgerScan;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The what-if replay over a generated ledger (issue target: 10 million rows under 30 s): stream every row in time
 * order from the DuckDB file and replay it under a policy with every part that works per row (a routed share, a
 * response cache with a TTL, an output cap), as {@code tollgate plan whatif} does.
 *
 * <pre>
 * java -cp … dev.tollgate.bench.LedgerGenerator /tmp/gen10m 10000000 30 2026-11-26T00:00:00Z
 * bench/jmh.sh WhatIfReplay -f 1 -wi 1 -i 3 -p ledgerDir=/tmp/gen10m
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
public class WhatIfReplayBenchmark {

    @Param("10000000")
    long rows;
    /** A ledger generated beforehand with {@link LedgerGenerator} and {@code rows} rows; empty: generate one (minutes). */
    @Param("")
    String ledgerDir;

    Path dir;
    PriceCatalog catalog;
    ReplayPolicy policy;

    @Setup
    public void generate() throws Exception {
        if (ledgerDir.isEmpty()) {
            dir = Files.createTempDirectory("whatif-bench");
            LedgerGenerator.generate(dir, rows, 30, Instant.parse("2026-11-26T00:00:00Z"));
        } else {
            dir = Path.of(ledgerDir);
        }
        catalog = PriceCatalog.bundled();
        policy = new ReplayPolicy(List.of(Route.parse("gpt-4o,share=0.5->gpt-4o-mini"),
                Route.parse("claude-sonnet-4-5,team=support->claude-haiku-4-5")), Duration.ofMinutes(10), 0, 400, null);
    }

    @Benchmark
    public ReplayResult replay() throws InterruptedException {
        ReplayEngine engine = new ReplayEngine(catalog, policy, "team");
        ReplayResult r;
        try (LedgerScan scan = LedgerScan.open(dir)) {
            r = PipelinedReplay.run(scan, null, null, engine, seen -> { });
        }
        if (r.rows() != rows) throw new IllegalStateException("replayed " + r.rows() + " of " + rows);
        return r;
    }

    @TearDown
    public void delete() throws Exception {
        if (!ledgerDir.isEmpty()) return;
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
