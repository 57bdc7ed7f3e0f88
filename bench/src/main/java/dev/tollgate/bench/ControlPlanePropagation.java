package dev.tollgate.bench;

import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.Period;
import dev.tollgate.core.budget.Scope;
import dev.tollgate.store.postgres.PgControlStore;
import dev.tollgate.store.postgres.PgDatabase;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Statement;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * How long a budget change made through one replica takes to reach another through the PostgreSQL control plane:
 * from the start of replica A's {@code save} (its commit and NOTIFY) to the end of what replica B does when notified
 * before applying the change (reading budgets, deletions, keys and revocations again), one change at a time. Two
 * stores with their own pools stand for the two replicas; the schema is a fresh one, dropped at the end.
 *
 * <pre>java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" dev.tollgate.bench.ControlPlanePropagation [changes] [postgres URL]</pre>
 */
public final class ControlPlanePropagation {

    public static void main(String[] args) throws Exception {
        int changes = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        String url = args.length > 1 ? args[1] : "postgres://postgres@127.0.0.1:5432/test";
        String schema = "bench_" + UUID.randomUUID().toString().replace("-", "");
        try (PgDatabase dbA = PgDatabase.open(url, schema, 2); PgDatabase dbB = PgDatabase.open(url, schema, 2);
             PgControlStore b = new PgControlStore(dbB, PgControlStore.FULL_RELOAD_EVERY)) {
            PgControlStore a = new PgControlStore(dbA, PgControlStore.FULL_RELOAD_EVERY);
            Semaphore applied = new Semaphore(0);
            b.watch(() -> {
                b.budgets();
                b.deleted();
                b.keys();
                b.revokedKeys();
                applied.release();
            });
            applied.drainPermits();
            long[] commit = new long[changes];
            long[] reached = new long[changes];
            for (int i = -50; i < changes; i++) { // the first 50 warm up
                Budget budget = new Budget("bench-" + Math.floorMod(i, 20), Scope.parse("team:search"), Period.MONTHLY,
                        new BigDecimal(1000 + i), Budget.Action.BLOCK, null, List.of(80), ZoneId.of("UTC"));
                long start = System.nanoTime();
                a.save(budget);
                long committed = System.nanoTime();
                if (!applied.tryAcquire(5, TimeUnit.SECONDS)) throw new IllegalStateException("change " + i + " never arrived");
                long done = System.nanoTime();
                applied.drainPermits();
                if (i >= 0) {
                    commit[i] = committed - start;
                    reached[i] = done - start;
                }
            }
            print("A's save (commit + NOTIFY)", commit);
            print("save on A → B has re-read everything", reached);
            try (Connection c = dbA.connection(); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    private static void print(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("%-40s p50 %6.2f ms   p90 %6.2f ms   p99 %6.2f ms   max %6.2f ms   (%d changes)%n", what,
                ms(sorted, 0.50), ms(sorted, 0.90), ms(sorted, 0.99), sorted[sorted.length - 1] / 1e6, sorted.length);
    }

    private static double ms(long[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))] / 1e6;
    }
}
