package dev.tollgate.bench;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.duckdb.JournalCodec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * What the crash-safe journal costs the request path: {@code append} is the whole of {@link DuckDbLedger#append} as
 * an event loop pays it (encode the row as a JSON line, write it into the page cache, queue it for the writer), with
 * the writer committing in the background; {@code encodeLine} is the row's JSON line alone ({@link JournalCodec});
 * {@code writeLineOnly} is the {@code write(2)} of a line of the same size alone, the floor of any journal that
 * survives the process.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LedgerJournalBenchmark {

    private final AtomicLong ids = new AtomicLong();
    private final byte[] line = new byte[560];
    private Path dir;
    private DuckDbLedger ledger;
    private FileChannel raw;

    @Setup
    public void open() throws IOException {
        dir = Files.createTempDirectory("journal-bench");
        ledger = DuckDbLedger.open(dir);
        raw = FileChannel.open(dir.resolve("raw.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        java.util.Arrays.fill(line, (byte) 'x');
        line[line.length - 1] = '\n';
    }

    @TearDown
    public void close() throws IOException {
        raw.close();
        ledger.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public void append() {
        ledger.append(row(ids.incrementAndGet()));
    }

    @Benchmark
    public byte[] encodeLine() {
        return JournalCodec.encode(row(ids.incrementAndGet()));
    }

    private static LedgerEntry row(long id) {
        return new LedgerEntry(Instant.now(), "req-" + id, "search-prod", Map.of("team", "search", "env", "prod"),
                "openai.chat", "openai", "gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini-2024-07-18",
                Usage.openAi(1117, 1024, 46, 0), new BigDecimal("0.0000621"), "gpt-4o-mini@2024-07-18", 200, null,
                412_000, -1, false, false);
    }

    @Benchmark
    public int writeLineOnly() throws IOException {
        return raw.write(ByteBuffer.wrap(line));
    }
}
