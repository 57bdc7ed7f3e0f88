package dev.tollgate.store.duckdb;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.Outcome;
import dev.tollgate.store.OutcomeRow;
import dev.tollgate.store.SpendQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OutcomesTest {

    private static final Instant T0 = Instant.parse("2026-11-20T09:00:00Z");

    @TempDir
    Path dir;

    private int n;

    private LedgerEntry row(String id, String feature, String decision, String model, String cost) {
        Map<String, String> tags = new HashMap<>(Map.of("feature", feature, "team", "cx"));
        if (decision != null) tags.put("decision", decision);
        return new LedgerEntry(T0.plusSeconds(n++), id, "cx-prod", tags, "openai.chat", "openai", model, model, model,
                new Usage(100, 0, 0, 0, 10, 0), new BigDecimal(cost), model + "@v1", 200, null, 1000, -1, false, false);
    }

    @Test
    void costPerSuccessfulOutcomePerFeatureAndModel() {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            // support on the cheap model: 10 requests at $0.001, 2 of them succeed
            for (int i = 0; i < 10; i++) ledger.append(row("cheap-" + i, "support", null, "gpt-4o-mini", "0.001"));
            // support on the dear model: 4 requests at $0.004, 3 succeed
            for (int i = 0; i < 4; i++) ledger.append(row("dear-" + i, "support", null, "gpt-4o", "0.004"));
            // refunds are decisions of several requests: run-1 uses both models and succeeds (worth $12.50),
            // run-2 fails in the end, run-3 never gets an outcome, and one request has none at all
            for (int i = 0; i < 3; i++) ledger.append(row("r1-" + i, "refund", "run-1", "gpt-4o-mini", "0.002"));
            ledger.append(row("r1-big", "refund", "run-1", "gpt-4o", "0.01"));
            for (int i = 0; i < 2; i++) ledger.append(row("r2-" + i, "refund", "run-2", "gpt-4o-mini", "0.002"));
            ledger.append(row("r3-0", "refund", "run-3", "gpt-4o-mini", "0.5"));
            ledger.append(row("lonely", "support", null, "gpt-4o-mini", "0.7"));
            ledger.flush();

            for (int i = 0; i < 10; i++) ledger.recordOutcome(new Outcome(T0.plusSeconds(100), "cheap-" + i, null, i < 2, null));
            for (int i = 0; i < 4; i++) ledger.recordOutcome(new Outcome(T0.plusSeconds(100), "dear-" + i, null, i < 3, null));
            ledger.recordOutcome(new Outcome(T0.plusSeconds(100), null, "run-1", true, new BigDecimal("12.50")));
            ledger.recordOutcome(new Outcome(T0.plusSeconds(100), null, "run-2", true, null));
            ledger.recordOutcome(new Outcome(T0.plusSeconds(200), null, "run-2", false, null)); // the latest counts

            List<OutcomeRow> rows = ledger.outcomes(new SpendQuery(List.of("feature", "model"), null, null, null));
            // highest cost first; ties by group
            assertThat(rows).extracting(OutcomeRow::group).containsExactly(
                    Map.of("feature", "support", "model", "gpt-4o"),
                    Map.of("feature", "refund", "model", "gpt-4o"),
                    Map.of("feature", "refund", "model", "gpt-4o-mini"),
                    Map.of("feature", "support", "model", "gpt-4o-mini"));
            OutcomeRow dear = rows.get(0);
            assertThat(dear.requests()).isEqualTo(4);
            assertThat(dear.costUsd()).isEqualTo(new BigDecimal("0.016"));
            assertThat(dear.outcomes()).isEqualTo(4);
            assertThat(dear.successes()).isEqualTo(3);
            assertThat(dear.costPerSuccessUsd()).isEqualTo(new BigDecimal("0.005333333333")); // 0.016 / 3
            OutcomeRow cheap = rows.get(3);
            assertThat(cheap.requests()).isEqualTo(10);
            assertThat(cheap.costUsd()).isEqualTo(new BigDecimal("0.01"));
            assertThat(cheap.successes()).isEqualTo(2);
            // the cheap prompt fails often: each success costs $0.005, about as much as on the dear model
            assertThat(cheap.costPerSuccessUsd()).isEqualTo(new BigDecimal("0.005"));
            assertThat(cheap.successRate()).isEqualTo(0.2);
            OutcomeRow refundDear = rows.get(1);
            assertThat(refundDear.requests()).isEqualTo(1);
            assertThat(refundDear.outcomes()).isEqualTo(1);
            assertThat(refundDear.successes()).isEqualTo(1);
            assertThat(refundDear.valueUsd()).isEqualTo(new BigDecimal("12.5"));
            OutcomeRow refundCheap = rows.get(2);
            assertThat(refundCheap.requests()).isEqualTo(5); // run-1's three and run-2's two; run-3 has no outcome
            assertThat(refundCheap.costUsd()).isEqualTo(new BigDecimal("0.01"));
            assertThat(refundCheap.outcomes()).isEqualTo(2);
            assertThat(refundCheap.successes()).isEqualTo(1);
            assertThat(refundCheap.costPerSuccessUsd()).isEqualTo(new BigDecimal("0.01"));
            assertThat(refundCheap.valueUsd()).isEqualTo(new BigDecimal("12.5"));

            // one decision counted once, with all its requests, when grouped by feature only
            List<OutcomeRow> byFeature = ledger.outcomes(new SpendQuery(List.of("feature"), null, null, Map.of("feature", "refund")));
            assertThat(byFeature).singleElement().satisfies(r -> {
                assertThat(r.requests()).isEqualTo(6);
                assertThat(r.costUsd()).isEqualTo(new BigDecimal("0.02"));
                assertThat(r.outcomes()).isEqualTo(2);
                assertThat(r.successes()).isEqualTo(1);
                assertThat(r.costPerSuccessUsd()).isEqualTo(new BigDecimal("0.02"));
            });
            assertThat(ledger.outcomes(new SpendQuery(List.of(), T0.plusSeconds(3600), null, null))).isEmpty();
        }
    }

    @Test
    void anOutcomeNamesARequestOrADecision() {
        assertThatThrownBy(() -> new Outcome(T0, "req-1", "run-1", true, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Outcome(T0, null, null, true, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Outcome(T0, "req-1", null, true, new BigDecimal("-1"))).isInstanceOf(IllegalArgumentException.class);
    }
}
