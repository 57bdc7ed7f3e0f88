package dev.tollgate.store.postgres;

import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.Period;
import dev.tollgate.core.budget.Scope;
import dev.tollgate.store.StoredKey;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Two replicas, each with its own pool, on one schema: what one changes the other sees, and alerts fire once. */
class PgControlStoreTest {

    static Budget budget(String name, String limit) {
        return new Budget(name, Scope.parse("team:search"), Period.MONTHLY, new BigDecimal(limit), Budget.Action.DOWNGRADE,
                "gpt-4o-mini", List.of(50, 90), ZoneId.of("Europe/Berlin"));
    }

    static Alert threshold(String budget, int percent, String periodStart, String replica) {
        return new Alert(Instant.parse("2026-11-26T10:00:00Z"), "budget_threshold", budget, percent + "% by " + replica,
                Map.of("threshold_percent", String.valueOf(percent), "period_start", periodStart));
    }

    @Test
    void budgetsAndKeysChangedOnOneReplicaAreReadOnTheOther() throws Exception {
        try (PgFixture pg = new PgFixture(); PgDatabase dbA = pg.open(); PgDatabase dbB = pg.open()) {
            PgControlStore a = new PgControlStore(dbA, Duration.ofMinutes(5));
            PgControlStore b = new PgControlStore(dbB, Duration.ofMinutes(5));
            a.save(budget("b", "12.345678901234"));
            a.save(budget("a", "1"));
            b.save(budget("a", "2"));
            a.delete("from-config");
            assertThat(b.budgets()).containsExactly(budget("a", "2"), budget("b", "12.345678901234"));
            assertThat(a.deleted()).containsExactly("from-config");
            b.save(budget("from-config", "3"));
            assertThat(a.deleted()).isEmpty();

            Instant created = Instant.parse("2026-11-26T10:00:00Z");
            assertThat(a.createKey(new StoredKey("ci", "ab".repeat(32), Map.of("team", "ml"), created))).isTrue();
            assertThat(b.createKey(new StoredKey("ci", "cd".repeat(32), Map.of(), created))).as("the name is taken").isFalse();
            assertThat(b.keys()).containsExactly(new StoredKey("ci", "ab".repeat(32), Map.of("team", "ml"), created));
            b.revokeKey("ci");
            b.revokeKey("config-key");
            assertThat(a.keys()).isEmpty();
            assertThat(a.revokedKeys()).containsExactlyInAnyOrder("ci", "config-key");
            assertThat(a.createKey(new StoredKey("ci", "ef".repeat(32), Map.of(), created))).as("re-created after revoking").isTrue();
            assertThat(b.keys()).extracting(StoredKey::keyHash).containsExactly("ef".repeat(32));
            assertThat(b.revokedKeys()).containsExactly("config-key");
        }
    }

    @Test
    void replicasRacingForOneThresholdRecordItOnce() throws Exception {
        try (PgFixture pg = new PgFixture(); PgDatabase dbA = pg.open(); PgDatabase dbB = pg.open()) {
            List<PgControlStore> replicas = List.of(new PgControlStore(dbA, Duration.ofMinutes(5)), new PgControlStore(dbB, Duration.ofMinutes(5)));
            int tries = 8;
            ExecutorService pool = Executors.newFixedThreadPool(tries);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> won = new ArrayList<>();
            for (int i = 0; i < tries; i++) {
                PgControlStore store = replicas.get(i % 2);
                String replica = "replica-" + i;
                won.add(pool.submit(() -> {
                    go.await();
                    return store.claim(threshold("team", 80, "2026-11-01T00:00:00Z", replica));
                }));
            }
            go.countDown();
            int winners = 0;
            for (Future<Boolean> f : won) if (f.get(10, TimeUnit.SECONDS)) winners++;
            pool.shutdown();
            assertThat(winners).isEqualTo(1);
            assertThat(replicas.get(1).alerts(100)).hasSize(1);

            // another threshold, another period, and an alert without a period each count on their own
            assertThat(replicas.get(0).claim(threshold("team", 90, "2026-11-01T00:00:00Z", "a"))).isTrue();
            assertThat(replicas.get(1).claim(threshold("team", 80, "2026-12-01T00:00:00Z", "b"))).isTrue();
            Alert anomaly = new Alert(Instant.parse("2026-11-26T11:00:00Z"), "spend_anomaly", "team:search", "spike", Map.of());
            assertThat(replicas.get(0).claim(anomaly)).isTrue();
            assertThat(replicas.get(1).claim(anomaly)).isTrue();
            assertThat(replicas.get(0).alertsSince(Instant.parse("2026-11-26T10:30:00Z"))).containsExactly(anomaly, anomaly);
        }
    }

    @Test
    void aChangeOnOneReplicaWakesTheOthersWatcherWithinASecond() throws Exception {
        try (PgFixture pg = new PgFixture(); PgDatabase dbA = pg.open(); PgDatabase dbB = pg.open();
             PgControlStore b = new PgControlStore(dbB, Duration.ofMinutes(5))) {
            PgControlStore a = new PgControlStore(dbA, Duration.ofMinutes(5));
            Semaphore woken = new Semaphore(0);
            b.save(budget("before", "5"));
            b.watch(woken::release); // returns once it listens, having caught up once
            assertThat(woken.availablePermits()).as("the catch-up").isEqualTo(1);
            woken.drainPermits();
            a.save(budget("new", "5"));
            assertThat(woken.tryAcquire(1, TimeUnit.SECONDS)).as("woken by the budget").isTrue();
            a.revokeKey("someone");
            assertThat(woken.tryAcquire(1, TimeUnit.SECONDS)).as("woken by the key").isTrue();
        }
    }

    @Test
    void theWatcherReloadsOnItsOwnWhenNoNotificationComes() throws Exception {
        try (PgFixture pg = new PgFixture(); PgDatabase db = pg.open();
             PgControlStore store = new PgControlStore(db, Duration.ofMillis(200))) {
            Semaphore woken = new Semaphore(0);
            store.watch(woken::release);
            assertThat(woken.tryAcquire(2, 5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aWatcherWhoseConnectionDropsReconnectsAndCatchesUp() throws Exception {
        try (PgFixture pg = new PgFixture(); PgDatabase dbA = pg.open(); PgDatabase dbB = pg.open();
             PgControlStore b = new PgControlStore(dbB, Duration.ofMinutes(5))) {
            PgControlStore a = new PgControlStore(dbA, Duration.ofMinutes(5));
            Semaphore woken = new Semaphore(0);
            b.watch(woken::release);
            woken.drainPermits();
            try (var c = dbA.connection(); var s = c.prepareStatement(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = ?")) {
                s.setString(1, b.listenerName());
                try (var rs = s.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("the listener's connection").isEqualTo(1);
                }
            }
            a.save(budget("while-away", "5")); // possibly while nobody listens: the reload after reconnecting catches it
            assertThat(woken.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
            woken.drainPermits();
            a.save(budget("after", "5"));
            assertThat(woken.tryAcquire(10, TimeUnit.SECONDS)).as("listening again").isTrue();
        }
    }
}
