package dev.tollgate.bench;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.duckdb.DuckDbLedger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Report queries over a large ledger made by {@link LedgerDataGenerator} ({@code -p data=DIR}): 30-day breakdowns
 * answered from the hourly rollup, and raw-row queries (an audit with filters, a breakdown by a raw-only tag).
 * Sample time, so JMH prints the p50 of every run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
public class ReportQueryBenchmark {

    @Param("")
    public String data;

    private DuckDbLedger ledger;
    private Instant since30d;

    @Setup(Level.Trial)
    public void open() {
        if (data.isBlank() || !Files.exists(Path.of(data, DuckDbLedger.FILE_NAME))) {
            throw new IllegalStateException("pass -p data=DIR with a ledger made by bench/ledger.sh generate");
        }
        ledger = DuckDbLedger.open(Path.of(data));
        since30d = Instant.now().minus(Duration.ofDays(30));
    }

    @TearDown(Level.Trial)
    public void close() {
        ledger.close();
    }

    @Benchmark
    public List<SpendRow> byTeamAndModel30d() {
        return ledger.spend(new SpendQuery(List.of("team", "model"), since30d, null, Map.of()));
    }

    @Benchmark
    public List<SpendRow> byFeaturePerDay30d() {
        return ledger.spend(new SpendQuery(List.of("feature"), since30d, null, Map.of(), "day"));
    }

    @Benchmark
    public List<SpendRow> byCustomerForOneTeam30d() {
        return ledger.spend(new SpendQuery(List.of("customer"), since30d, null, Map.of("team", "search")));
    }

    @Benchmark
    public List<SpendRow> byKeyAndStatusClassPerHour30d() {
        return ledger.spend(new SpendQuery(List.of("key", "status_class"), since30d, null, Map.of(), "hour"));
    }

    @Benchmark
    public List<LedgerEntry> auditRawRowsOfOneCustomerAndStatus30d() {
        return ledger.audit(new SpendQuery(List.of(), since30d, null, Map.of("customer", "cust-42", "status", "429")), 100);
    }

    @Benchmark
    public List<SpendRow> rawByDecisionForOneFeature30d() {
        return ledger.spend(new SpendQuery(List.of("decision"), since30d, null, Map.of("feature", "feature-7")));
    }
}
