package dev.tollgate.gateway.budget;

import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.ObservedLedger;
import dev.tollgate.store.duckdb.DuckDbLedger;
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

/** Spend-rate anomalies from the ledger stream, with baselines read back from the ledger at start-up. */
class AnomalyWatchTest {

    @TempDir
    Path dir;

    static LedgerEntry row(Instant at, String cost) {
        return new LedgerEntry(at, "req", "batch-key", Map.of("team", "data"), "openai.chat", "openai", "gpt-4o-mini",
                "gpt-4o-mini", "gpt-4o-mini", Usage.openAi(100, 0, 50, 0), new BigDecimal(cost), "gpt-4o-mini@v1", 200,
                null, 1000, 500, false, false);
    }

    @Test
    void threeWeeksOfHistoryFromTheLedgerThenASpike() throws Exception {
        Instant now = Instant.parse("2026-11-26T10:02:00Z");
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        try (DuckDbLedger duck = DuckDbLedger.open(dir)) {
            // $1 an hour for three weeks, as one row every five minutes
            for (Instant t = now.minus(Duration.ofDays(21)); t.isBefore(now); t = t.plus(Duration.ofMinutes(5))) {
                duck.append(row(t, "0.083333333333"));
            }
            duck.flush();
            ObservedLedger ledger = ObservedLedger.of(duck);
            GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse("spend_controls: {anomaly: {factor: 2, min_spend_usd: \"5\"}}");
            BudgetService service = BudgetService.start(config, ledger, duck.budgetStore(), clock);
            try {
                ledger.append(row(now, "2.00"));  // the trailing hour: about $3, under the $5 floor
                ledger.append(row(now, "8.00"));  // about $11: eleven times the usual $1, and over $5
                List<Alert> alerts = BudgetsTest.await(() -> {
                    List<Alert> found = duck.budgetStore().alerts(10);
                    return found.size() >= 3 ? found : null;
                });
                assertThat(alerts).extracting(Alert::subject).containsExactlyInAnyOrder("org", "key:batch-key", "team:data");
                Alert team = alerts.stream().filter(a -> a.subject().equals("team:data")).findFirst().orElseThrow();
                assertThat(team.kind()).isEqualTo("spend_anomaly");
                // the same hour in each of the past three weeks cost $1
                assertThat(new BigDecimal(team.details().get("baseline_median_usd"))).isEqualByComparingTo("1");
                assertThat(team.message()).contains("spend of team:data is running at $").contains("its usual $1.00");
            } finally {
                service.close();
            }
        }
    }
}
