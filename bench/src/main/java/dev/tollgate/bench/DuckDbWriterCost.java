package dev.tollgate.bench;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.duckdb.LedgerOptions;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * What the embedded DuckDB ledger costs in CPU per row at a steady request rate, as in service: one thread appends
 * rows like the gateway's (a few keys, tags and models, random request ids) at a fixed rate, and the CPU of the
 * ledger writer thread (ThreadMXBean) and of DuckDB's own threads ({@code /proc/self/task}) over the measured window
 * is divided by the rows appended in it. The append itself (journal + queue, on the event loop in service) is not
 * counted: {@link LedgerAppendCost} measures it.
 *
 * <p>DuckDB starts its worker threads when the database opens, and Linux names a thread after the one that made it,
 * so the ledger is opened on a thread named {@value #OPENER}: DuckDB's threads carry that name. Threads the writer
 * makes in native code (the allocator's background thread) carry the writer's name; the writer thread itself is
 * taken out of that group by its ThreadMXBean time.
 *
 * <pre>java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.tollgate.bench.DuckDbWriterCost [rows/s] [seconds] [rounds]</pre>
 * With {@code PROFILE=file.collapsed} (and {@code ASYNC_PROFILER=libasyncProfiler.so}) the last round's measured
 * window is also sampled by async-profiler, native frames included, as folded stacks ({@code PROFILE_EVENT=page-faults}
 * samples where fresh memory is touched instead of CPU time).
 */
public final class DuckDbWriterCost {

    static final String OPENER = "duckdb-open";
    private static final String WRITER = "tollgate-ledger-writer";
    private static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1) / 100; // /proc counts CPU in 1/100 s

    public static void main(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        double[][] results = new double[rounds][];
        for (int r = 0; r < rounds; r++) {
            String profile = System.getenv("PROFILE");
            results[r] = round(rate, seconds, r == rounds - 1 && profile != null && !profile.isEmpty() ? profile : null);
            System.out.printf("round %d: %,d rows at %,d/s: writer %.2f µs/row, duckdb threads %.2f µs/row, total %.2f µs/row,"
                            + " %.3f page faults/row%s%n",
                    r + 1, (long) results[r][3], rate, results[r][0], results[r][1], results[r][2], results[r][5],
                    results[r][4] == 0 ? ""
                            : String.format(" (the writer fell behind: up to %,.0f rows spooled and read back, counted in)", results[r][4]));
        }
        System.out.printf("median of %d rounds: writer %.2f, duckdb threads %.2f, total %.2f µs CPU/row%n", rounds,
                median(results, 0), median(results, 1), median(results, 2));
    }

    /** One fresh ledger: a warm-up of a third of the time, then the measured window; writer, duckdb, total, rows, spooled. */
    private static double[] round(int rate, int seconds, String profile) throws Exception {
        Path dir = Files.createTempDirectory("writer-cost");
        AtomicReference<DuckDbLedger> opened = new AtomicReference<>();
        Thread opener = Thread.ofPlatform().name(OPENER).start(() -> opened.set(DuckDbLedger.open(dir, options())));
        opener.join();
        try (DuckDbLedger ledger = opened.get()) {
            Rows rows = new Rows();
            feed(ledger, rows, rate, Math.max(2, seconds / 3), new long[1]);
            ledger.flush();
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long writerId = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(WRITER))
                    .findFirst().orElseThrow().threadId();
            long writer0 = mx.getThreadCpuTime(writerId);
            Map<String, Long> proc0 = procTicks(), faults0 = procFaults();
            String out = profile == null ? null : Path.of(profile).toAbsolutePath().toString();
            String event = System.getenv().getOrDefault("PROFILE_EVENT", "cpu,interval=997us"); // or page-faults
            if (profile != null) profiler("start,event=" + event + ",cstack=vm,threads,file=" + out);
            long[] spooled = new long[1];
            long n = feed(ledger, rows, rate, seconds, spooled);
            ledger.flush();
            if (profile != null) {
                profiler("stop,collapsed,file=" + out);
            }
            long writer = mx.getThreadCpuTime(writerId) - writer0;
            Map<String, Long> proc = procTicks();
            long duck = 0;
            for (String name : List.of(OPENER, WRITER.substring(0, 15))) {
                duck += (proc.getOrDefault(name, 0L) - proc0.getOrDefault(name, 0L)) * TICK_NANOS;
            }
            duck -= writer; // the writer's own comm group holds the writer thread itself
            duck = Math.max(0, duck);
            Map<String, Long> faults = procFaults();
            long faulted = 0;
            for (String name : List.of(OPENER, WRITER.substring(0, 15))) {
                faulted += faults.getOrDefault(name, 0L) - faults0.getOrDefault(name, 0L);
            }
            return new double[] {writer / 1e3 / n, duck / 1e3 / n, (writer + duck) / 1e3 / n, n, spooled[0],
                    (double) faulted / n};
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * The ledger's defaults; {@code LEDGER_WAL_MB}, {@code LEDGER_MEMORY_MB} and {@code LEDGER_THREADS} set
     * {@code ledger.wal_max_mb}, {@code ledger.memory_limit_mb} and {@code ledger.threads} to compare them.
     */
    private static LedgerOptions options() {
        LedgerOptions d = LedgerOptions.DEFAULTS;
        long wal = megabytes("LEDGER_WAL_MB", d.walMaxBytes()), memory = megabytes("LEDGER_MEMORY_MB", d.memoryLimitBytes());
        String threads = System.getenv("LEDGER_THREADS");
        return new LedgerOptions(d.journalDir(), d.memoryRows(), d.spoolMaxBytes(), wal, d.minFreeBytes(),
                d.serveOnFailure(), memory, threads == null || threads.isEmpty() ? d.threads() : Integer.parseInt(threads));
    }

    private static long megabytes(String variable, long otherwise) {
        String v = System.getenv(variable);
        return v == null || v.isEmpty() ? otherwise : Long.parseLong(v) << 20;
    }

    /**
     * Appends at {@code rate} rows/s for {@code seconds}; returns the rows appended. {@code spooled[0]} is the most
     * rows seen waiting in the journal only: the writer fell behind, and reads them back at a cost of its own.
     */
    private static long feed(DuckDbLedger ledger, Rows rows, int rate, int seconds, long[] spooled) {
        long n = (long) rate * seconds;
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long next = System.nanoTime();
        for (long i = 0; i < n; i++) {
            ledger.append(rows.next());
            next += interval;
            if ((i & 8191) == 0) spooled[0] = Math.max(spooled[0], ledger.health().spooledRows());
            if ((i & 63) == 63) { // pace in small bursts, as a busy event loop hands rows over
                long wait = next - System.nanoTime();
                if (wait > 0) LockSupport.parkNanos(wait);
            }
        }
        return n;
    }

    /** CPU ticks (user + system) of this process's threads, summed by thread name. */
    private static Map<String, Long> procTicks() throws java.io.IOException {
        return procStat(11, 12);
    }

    /** Minor page faults (fresh memory touched) of this process's threads, summed by thread name. */
    private static Map<String, Long> procFaults() throws java.io.IOException {
        return procStat(7, 7);
    }

    /** Fields {@code a} + {@code b} (counted from the state, 0) of each thread's {@code /proc} stat, summed by name. */
    private static Map<String, Long> procStat(int a, int b) throws java.io.IOException {
        Map<String, Long> ticks = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(t.resolve("stat"));
                } catch (java.io.IOException gone) {
                    continue;
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks.merge(name, Long.parseLong(f[a]) + (a == b ? 0 : Long.parseLong(f[b])), Long::sum);
            }
        }
        return ticks;
    }

    private static void profiler(String command) throws Exception {
        String lib = System.getenv("ASYNC_PROFILER");
        if (lib == null) throw new IllegalStateException("PROFILE needs ASYNC_PROFILER=path/to/libasyncProfiler.so");
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Process p = new ProcessBuilder(jcmd, Long.toString(ProcessHandle.current().pid()), "JVMTI.agent_load", lib,
                '"' + command + '"').inheritIO().start(); // quoted: jcmd would read key=value pairs as its own
        if (p.waitFor() != 0) throw new IllegalStateException("jcmd " + command + " failed");
    }

    private static double median(double[][] runs, int field) {
        double[] v = java.util.Arrays.stream(runs).mapToDouble(r -> r[field]).sorted().toArray();
        return v[v.length / 2];
    }

    /**
     * Rows as the gateway writes them: four keys with their tags, three models, request ids of 11 hex digits of
     * milliseconds and 13 random ones, token counts that vary, a few errors and cache hits, costs at list price.
     */
    static final class Rows {
        private static final String[] KEYS = {"search-prod", "search-staging", "support-bot", "batch-jobs"};
        private static final List<Map<String, String>> TAGS = List.of(
                Map.of("team", "search", "env", "prod"), Map.of("team", "search", "env", "staging"),
                Map.of("team", "support", "env", "prod", "feature", "chat"), Map.of("team", "data", "cost_center", "cc-17"));
        private static final String[][] MODELS = {
                {"gpt-4o-mini", "gpt-4o-mini-2024-07-18", "gpt-4o-mini@2024-07-18", "0.15", "0.60"},
                {"gpt-4o", "gpt-4o-2024-08-06", "gpt-4o@2024-08-06", "2.50", "10.00"},
                {"claude-3-5-haiku", "claude-3-5-haiku-20241022", "claude-3-5-haiku@20241022", "0.80", "4.00"}};
        private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);
        private static final char[] HEX = "0123456789abcdef".toCharArray();

        LedgerEntry next() {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            int k = r.nextInt(KEYS.length);
            String[] m = MODELS[r.nextInt(MODELS.length)];
            long in = 20 + r.nextInt(2000), out = 1 + r.nextInt(400);
            boolean hit = r.nextInt(20) == 0, failed = !hit && r.nextInt(50) == 0;
            BigDecimal cost = hit || failed ? BigDecimal.ZERO : new BigDecimal(m[3]).multiply(BigDecimal.valueOf(in))
                    .add(new BigDecimal(m[4]).multiply(BigDecimal.valueOf(out))).divide(MILLION);
            String api = m[0].startsWith("claude") ? "anthropic.messages" : "openai.chat";
            String provider = m[0].startsWith("claude") ? "anthropic" : "openai";
            return new LedgerEntry(Instant.now(), requestId(r), KEYS[k], TAGS.get(k), api, provider, m[0], m[0], m[1],
                    failed ? Usage.ZERO : Usage.openAi(in, 0, out, 0), cost, m[2], failed ? 429 : 200,
                    failed ? "rate limited by the provider" : null, 150_000 + r.nextInt(900_000), -1, false, false,
                    hit ? "hit" : null, hit ? BigDecimal.ONE.movePointLeft(4) : BigDecimal.ZERO, false);
        }

        private static String requestId(ThreadLocalRandom r) {
            char[] id = new char[28];
            id[0] = 'r'; id[1] = 'e'; id[2] = 'q'; id[3] = '_';
            long ms = System.currentTimeMillis(), rnd = r.nextLong();
            for (int i = 14; i >= 4; i--, ms >>>= 4) id[i] = HEX[(int) (ms & 0xf)];
            for (int i = 27; i >= 15; i--, rnd >>>= 4) id[i] = HEX[(int) (rnd & 0xf)];
            return new String(id);
        }
    }
}
