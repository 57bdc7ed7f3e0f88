package dev.tollgate.bench;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * What {@link DuckDbLedger#append} costs the thread that calls it (an event loop) at a steady request rate, with the
 * writer committing beside it: the row encoded as a JSON line, copied into the journal's mapped page cache, queued.
 * The baseline is what append cost before the journal: an offer to the writer's queue. Paced, unlike a JMH loop, so
 * the writer keeps up as it does in service.
 *
 * <pre>java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.tollgate.bench.LedgerAppendCost [rows/s] [seconds]</pre>
 */
public final class LedgerAppendCost {

    public static void main(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path dir = Files.createTempDirectory("append-cost");
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            LinkedBlockingQueue<LedgerEntry> queue = new LinkedBlockingQueue<>(DuckDbLedger.DEFAULT_QUEUE_CAPACITY);
            run("warm-up", rate, 3, ledger::append);
            run("queue offer only (before the journal)", rate, seconds, e -> {
                if (!queue.offer(e)) queue.clear();
                if (queue.size() > 10_000) queue.clear();
            });
            run("DuckDbLedger.append (journal + queue)", rate, seconds, ledger::append);
            ledger.flush();
        }
    }

    private static void run(String name, int rate, int seconds, java.util.function.Consumer<LedgerEntry> append) {
        int n = rate * seconds;
        long[] took = new long[n];
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long next = System.nanoTime();
        for (int i = 0; i < n; i++) {
            LedgerEntry e = row(i);
            long t0 = System.nanoTime();
            append.accept(e);
            took[i] = System.nanoTime() - t0;
            next += interval;
            long wait = next - System.nanoTime();
            if (wait > 0) LockSupport.parkNanos(wait);
        }
        Arrays.sort(took);
        double mean = Arrays.stream(took).average().orElse(0);
        System.out.printf("%-40s %,d rows at %,d/s: mean %,.0f ns, p50 %,d ns, p99 %,d ns, p99.9 %,d ns%n", name, n, rate,
                mean, took[n / 2], took[(int) (n * 0.99)], took[(int) (n * 0.999)]);
    }

    private static LedgerEntry row(long id) {
        return new LedgerEntry(Instant.now(), "req-" + id + "-" + System.nanoTime(), "search-prod", Map.of("team", "search", "env", "prod"),
                "openai.chat", "openai", "gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini-2024-07-18",
                Usage.openAi(1117, 1024, 46, 0), new BigDecimal("0.0000621"), "gpt-4o-mini@2024-07-18", 200, null,
                412_000, -1, false, false);
    }
}
