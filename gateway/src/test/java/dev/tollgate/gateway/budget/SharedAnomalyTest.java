package dev.tollgate.gateway.budget;

import dev.tollgate.core.alert.Alert;
import dev.tollgate.gateway.config.SpendControls;
import dev.tollgate.store.BudgetStore;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.ObservedLedger;
import dev.tollgate.store.duckdb.LedgerOptions;
import dev.tollgate.store.postgres.PgControlStore;
import dev.tollgate.store.postgres.PgDatabase;
import dev.tollgate.store.postgres.PgFixture;
import dev.tollgate.store.postgres.PgLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16: replicas on one shared ledger judge the group's spend, not each its own share of it, and a spike that both
 * find is alerted once (claimed in the control plane as threshold alerts are).
 */
class SharedAnomalyTest {

    @TempDir
    Path journalA;
    @TempDir
    Path journalB;

    /** As {@link AnomalyWatchTest#row}, with an id of its own: the shared ledger keeps one row per request id and time. */
    private static LedgerEntry row(Instant at, String cost, String id) {
        LedgerEntry e = AnomalyWatchTest.row(at, cost);
        return new LedgerEntry(e.time(), id, e.keyName(), e.tags(), e.api(), e.provider(), e.deployment(), e.requestedModel(),
                e.servedModel(), e.usage(), e.costUsd(), e.priceVersion(), e.status(), e.error(), e.latencyMicros(),
                e.ttftMicros(), e.stream(), e.estimated());
    }

    @Test
    void aSpikeSplitOverTwoReplicasIsFoundFromTheGroupsSpendAndAlertedOnce() throws Exception {
        Instant now = Instant.parse("2026-11-26T10:02:00Z");
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        SpendControls.Anomaly settings = new SpendControls.Anomaly(true, 2.0, new BigDecimal("8"));
        try (PgFixture pg = new PgFixture(); PgDatabase db = pg.open();
             PgLedger a = PgLedger.open(db, journalA, LedgerOptions.DEFAULTS);
             PgLedger b = PgLedger.open(db, journalB, LedgerOptions.DEFAULTS)) {
            // $1 an hour for three weeks, written by either replica
            int i = 0;
            for (Instant t = now.minus(Duration.ofDays(21)); t.isBefore(now.minus(Duration.ofMinutes(2))); t = t.plus(Duration.ofMinutes(5))) {
                (i % 2 == 0 ? a : b).append(row(t, "0.083333333333", "req-" + i++));
            }
            a.flush();
            b.flush();
            PgControlStore storeA = new PgControlStore(db, PgControlStore.FULL_RELOAD_EVERY);
            PgControlStore storeB = new PgControlStore(db, PgControlStore.FULL_RELOAD_EVERY);
            AlertDispatcher alertsA = new AlertDispatcher(SpendControls.Alerts.DEFAULTS, storeA);
            AlertDispatcher alertsB = new AlertDispatcher(SpendControls.Alerts.DEFAULTS, storeB);
            AnomalyWatch watchA = AnomalyWatch.start(settings, alertsA, ObservedLedger.of(a), clock);
            AnomalyWatch watchB = AnomalyWatch.start(settings, alertsB, ObservedLedger.of(b), clock);
            try {
                // $6 through each replica this hour: under the $8 floor for either alone, twelve times the usual $1 together
                a.append(row(now, "6.00", "spike-a"));
                b.append(row(now, "6.00", "spike-b"));
                a.flush();
                b.flush();
                watchA.poll(a, now);
                watchB.poll(b, now);
            } finally {
                watchA.close();
                watchB.close();
                alertsA.close(); // waits for the queued alerts to be claimed
                alertsB.close();
            }
            List<Alert> alerts = storeA.alerts(20);
            assertThat(alerts).extracting(Alert::subject).containsExactlyInAnyOrder("org", "key:batch-key", "team:data");
            assertThat(alerts).allSatisfy(alert -> {
                assertThat(alert.kind()).isEqualTo("spend_anomaly");
                assertThat(BudgetStore.claimKey(alert)).as("claimed once for the group").isNotNull();
                assertThat(alert.details()).containsEntry("period_start", "2026-11-26T06:00:00Z")
                        .containsEntry("hour_start", "2026-11-26T10:00:00Z");
                assertThat(new BigDecimal(alert.details().get("baseline_median_usd"))).isEqualByComparingTo("1");
            });
            assertThat(alerts.getFirst().message()).contains("$12");
            storeA.close();
            storeB.close();
        }
    }
}
