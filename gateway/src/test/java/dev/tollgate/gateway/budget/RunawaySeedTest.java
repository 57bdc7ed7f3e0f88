package dev.tollgate.gateway.budget;

import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.ObservedLedger;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.buffer.Buffer;
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

/** Runaway detection by request rate reads the past hour from the ledger at start, so a restart neither forgets nor waits. */
class RunawaySeedTest {

    @TempDir
    Path dir;

    @Test
    void aKeysUsualRateSurvivesARestart() throws Exception {
        Instant now = Instant.parse("2026-11-26T10:02:30Z");
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        try (DuckDbLedger duck = DuckDbLedger.open(dir)) {
            Instant thisMinute = now.minusSeconds(30);
            // 8 requests a minute for the hour (and a minute) before the restart
            for (int m = 1; m <= 61; m++) {
                for (int i = 0; i < 8; i++) duck.append(row(thisMinute.minus(Duration.ofMinutes(m)).plusSeconds(i * 7L)));
            }
            duck.flush();
            GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse(
                    "spend_controls: {runaway: {rate_multiple: 5, min_requests_per_minute: 30}, anomaly: {enabled: false}}");
            BudgetService service = BudgetService.start(config, ObservedLedger.of(duck), duck.budgetStore(), clock);
            try {
                // 5 × 8 = 40 a minute is the line: the 41st request of this minute tips it, right after the restart
                for (int i = 1; i <= 40; i++) service.runaway().observe("loop", Buffer.buffer("{\"n\":" + i + "}"));
                Thread.sleep(100);
                assertThat(duck.budgetStore().alerts(10)).isEmpty();
                service.runaway().observe("loop", Buffer.buffer("{\"n\":41}"));
                List<Alert> alerts = BudgetsTest.await(() -> {
                    List<Alert> found = duck.budgetStore().alerts(10);
                    return found.isEmpty() ? null : found;
                });
                assertThat(alerts).hasSize(1);
                assertThat(alerts.getFirst().kind()).isEqualTo("runaway");
                assertThat(alerts.getFirst().details()).containsEntry("sign", "request_rate").containsEntry("count", "41")
                        .containsEntry("baseline_per_minute", "8.0");
            } finally {
                service.close();
            }
        }
    }

    static LedgerEntry row(Instant at) {
        return new LedgerEntry(at, "req", "loop", Map.of(), "openai.chat", "openai", "gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini",
                Usage.openAi(10, 0, 5, 0), new BigDecimal("0.00001"), "gpt-4o-mini@v1", 200, null, 1000, 500, false, false);
    }
}
