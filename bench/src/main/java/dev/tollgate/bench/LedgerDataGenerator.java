package dev.tollgate.bench;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Fills a ledger with realistic traffic through the real write path ({@link DuckDbLedger#append}, the writer
 * thread's batches, the rollups of sealed hours and days) and reports the ingest rate.
 *
 * <pre>bench/ledger.sh generate 10000000 /tmp/tollgate-10m</pre>
 *
 * <p>Traffic: {@code days} days ending now, in time order; 40 virtual keys over 8 teams, 3 environments and 12
 * projects; 30 features on every request and 300 customers on 60% of them, both Zipf-skewed (a few carry most
 * traffic); 10 models over 3 providers,
 * the cheap ones most used; 3% errors (429, 500, 502); one request in ten names a decision (a workflow run). Costs
 * are exact decimals from per-model prices. Rows are appended in chunks of {@value #CHUNK}; each chunk is appended
 * and flushed (flush waits until the writer has committed it), and only that time is counted, plus closing at the end.
 */
public final class LedgerDataGenerator {

    static final int CHUNK = 100_000;

    record Model(String name, String provider, BigDecimal inputPerMillion, BigDecimal outputPerMillion, int weight) {
    }

    static final List<Model> MODELS = List.of(
            new Model("gpt-4o-mini", "openai", new BigDecimal("0.15"), new BigDecimal("0.60"), 30),
            new Model("gpt-4.1-nano", "openai", new BigDecimal("0.10"), new BigDecimal("0.40"), 12),
            new Model("gpt-4.1-mini", "openai", new BigDecimal("0.40"), new BigDecimal("1.60"), 12),
            new Model("gpt-4o", "openai", new BigDecimal("2.50"), new BigDecimal("10"), 8),
            new Model("gpt-5", "openai", new BigDecimal("1.25"), new BigDecimal("10"), 5),
            new Model("claude-haiku-4-5", "anthropic", new BigDecimal("1"), new BigDecimal("5"), 14),
            new Model("claude-sonnet-4-5", "anthropic", new BigDecimal("3"), new BigDecimal("15"), 8),
            new Model("claude-opus-4-1", "anthropic", new BigDecimal("15"), new BigDecimal("75"), 1),
            new Model("llama-3.1-8b-instant", "groq", new BigDecimal("0.05"), new BigDecimal("0.08"), 6),
            new Model("llama-3.3-70b-versatile", "groq", new BigDecimal("0.59"), new BigDecimal("0.79"), 4));

    private static final String[] TEAMS = {"search", "ads", "support", "growth", "platform", "data", "mobile", "finance"};
    private static final String[] ENVS = {"prod", "staging", "dev"};
    private static final BigDecimal MILLION = new BigDecimal(1_000_000);

    private final SplittableRandom random;
    private final List<Map<String, String>> keyTags = new ArrayList<>();
    private final int[] modelPick;
    private final double[] featureCdf = zipf(30, 1.1);
    private final double[] customerCdf = zipf(300, 1.2);
    private long sequence;

    public LedgerDataGenerator(long seed) {
        random = new SplittableRandom(seed);
        for (int k = 0; k < 40; k++) {
            keyTags.add(Map.of("team", TEAMS[k % TEAMS.length], "env", ENVS[k % 5 == 0 ? 2 : k % 3 == 0 ? 1 : 0],
                    "project", "p" + (k % 12)));
        }
        List<Integer> picks = new ArrayList<>();
        for (int m = 0; m < MODELS.size(); m++) for (int w = 0; w < MODELS.get(m).weight(); w++) picks.add(m);
        modelPick = picks.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The next row, at {@code time}. */
    public LedgerEntry next(Instant time) {
        int key = random.nextInt(keyTags.size());
        Map<String, String> tags = new HashMap<>(keyTags.get(key));
        tags.put("feature", "feature-" + pick(featureCdf));
        if (random.nextInt(10) < 6) tags.put("customer", "cust-" + pick(customerCdf)); // internal jobs carry none
        if (random.nextInt(10) == 0) tags.put("decision", "run-" + random.nextInt(2_000_000));
        Model model = MODELS.get(modelPick[random.nextInt(modelPick.length)]);
        int roll = random.nextInt(100);
        int status = roll < 97 ? 200 : roll < 98 ? 429 : roll < 99 ? 500 : 502;
        long input = status == 200 ? 200 + random.nextInt(6000) : 0;
        long cached = status == 200 && random.nextInt(3) == 0 ? input / 2 : 0;
        long output = status == 200 ? 20 + random.nextInt(900) : 0;
        BigDecimal cost = BigDecimal.valueOf(input).multiply(model.inputPerMillion())
                .add(BigDecimal.valueOf(output).multiply(model.outputPerMillion())).divide(MILLION);
        String api = model.provider().equals("anthropic") ? "anthropic.messages" : "openai.chat";
        return new LedgerEntry(time, "req_%024x".formatted(++sequence), "key-" + key, tags, api, model.provider(),
                model.name(), model.name(), model.name(), new Usage(input, cached, 0, 0, output, 0), cost,
                status == 200 ? model.name() + "@2025-01-01" : null, status, status == 200 ? null : "upstream " + status,
                200_000 + random.nextInt(4_000_000), random.nextInt(10) == 0 ? -1 : 150_000, random.nextBoolean(), false);
    }

    private int pick(double[] cdf) {
        double u = random.nextDouble();
        int lo = 0, hi = cdf.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cdf[mid] < u) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static double[] zipf(int n, double s) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) sum += 1 / Math.pow(i + 1, s);
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += 1 / Math.pow(i + 1, s) / sum;
            cdf[i] = acc;
        }
        cdf[n - 1] = 1;
        return cdf;
    }

    /** Rows per second of wall-clock time, and per second of the process's CPU time, while the writer worked. */
    public record Rate(double wall, double cpu) {
    }

    /** Appends {@code rows} rows spread over {@code days} days ending at {@code end}. */
    public static Rate fill(DuckDbLedger ledger, long rows, int days, Instant end, long seed) {
        LedgerDataGenerator generator = new LedgerDataGenerator(seed);
        Instant start = end.minus(Duration.ofDays(days));
        long spanMicros = ChronoUnit.MICROS.between(start, end);
        LedgerEntry[] chunk = new LedgerEntry[CHUNK];
        long written = 0;
        long nanos = 0;
        long cpuNanos = 0;
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        while (written < rows) {
            int n = (int) Math.min(CHUNK, rows - written);
            for (int i = 0; i < n; i++) {
                // spanMicros * rows overflows a long beyond a few million rows: scale in double (µs precision is plenty)
                long offset = (long) ((double) spanMicros * (written + i) / rows);
                chunk[i] = generator.next(start.plus(offset, ChronoUnit.MICROS));
            }
            long t0 = System.nanoTime();
            long c0 = os.getProcessCpuTime();
            for (int i = 0; i < n; i++) ledger.append(chunk[i]);
            ledger.flush();
            nanos += System.nanoTime() - t0;
            cpuNanos += os.getProcessCpuTime() - c0;
            written += n;
            if (written % 1_000_000 == 0) {
                System.out.printf("%,d rows, %,.0f rows/s so far (%,.0f per CPU-second)%n", written, written / (nanos / 1e9), written / (cpuNanos / 1e9));
            }
        }
        if (ledger.droppedRows() > 0 || ledger.failedRows() > 0) {
            throw new IllegalStateException(ledger.droppedRows() + " rows dropped, " + ledger.failedRows() + " failed");
        }
        return new Rate(written / (nanos / 1e9), written / (cpuNanos / 1e9));
    }

    /** {@code LedgerDataGenerator ROWS DATA_DIR [DAYS]}: fills a new ledger and prints the ingest rate. */
    public static void main(String[] args) {
        long rows = Long.parseLong(args[0].replace("_", ""));
        Path dir = Path.of(args[1]);
        int days = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            long t0 = System.nanoTime();
            Rate rate = fill(ledger, rows, days, Instant.now().truncatedTo(ChronoUnit.SECONDS), 2026);
            // closing seals the last hours and checkpoints the log into the file: work the rows caused, so counted
            long c0 = System.nanoTime();
            ledger.close();
            double closeSeconds = (System.nanoTime() - c0) / 1e9;
            System.out.printf("ingested %,d rows through the ledger writer (rollup included): %,.0f rows/s wall clock,"
                    + " %,.0f rows per CPU-second; close %.1f s (%,.0f rows/s counting it); %.0f s in all with generation%n",
                    rows, rate.wall(), rate.cpu(), closeSeconds, rows / (rows / rate.wall() + closeSeconds),
                    (System.nanoTime() - t0) / 1e9);
        }
    }
}
