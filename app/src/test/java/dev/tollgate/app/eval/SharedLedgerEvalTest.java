package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.app.LedgerSource;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.PromptRecord;
import dev.tollgate.store.ShadowAnswer;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.duckdb.LedgerOptions;
import dev.tollgate.store.postgres.PgDatabase;
import dev.tollgate.store.postgres.PgFixture;
import dev.tollgate.store.postgres.PgLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16: {@code eval --prompt-log} and {@code eval --shadow} with {@code --ledger} read the prompt log and the shadow
 * answers from PostgreSQL and get what they get from the embedded file for the same rows: the same seeded task set,
 * the same answers, the same route spend.
 */
class SharedLedgerEvalTest {

    private static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
    private static final Path NO_GATEWAY = Path.of("no-gateway-is-asked");

    @TempDir
    Path data;
    @TempDir
    Path journal;

    @Test
    void thePromptLogSampleAndTheShadowAnswersAreTheSameFromPostgres() throws Exception {
        Random r = new Random(9);
        List<LedgerEntry> rows = new ArrayList<>();
        List<PromptRecord> prompts = new ArrayList<>();
        List<ShadowAnswer> shadows = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Instant t = NOW.minus(Duration.ofMinutes(20L * i + r.nextInt(15)));
            BigDecimal cost = BigDecimal.valueOf(r.nextLong(1, 9_000_000_000L), 12).stripTrailingZeros();
            String route = i % 3 == 0 ? "triage" : "support";
            Map<String, String> tags = i % 7 == 0 ? Map.of("feature", "eval") : Map.of("feature", "chat");
            rows.add(new LedgerEntry(t, "req-" + i, "app", tags, "openai.chat", "openai", route, "gpt-4o", "gpt-4o",
                    new Usage(300, 0, 0, 0, 40, 0), cost, "gpt-4o@v1", 200, null, 1000, -1, false, false));
            prompts.add(new PromptRecord(t, "req-" + i, "app", tags, "openai.chat", "gpt-4o", null,
                    List.of(new PromptRecord.Message("user", "What is " + i + " + 1?")), -1, 0, 0, 8, 1.0,
                    i % 5 == 0 ? null : String.valueOf(i + 1)));
            if (i % 2 == 0) {
                shadows.add(new ShadowAnswer(t, "req-" + i, route, "gpt-4o-mini", "openai.chat", "What is " + i + " + 1?",
                        "gpt-4o", String.valueOf(i + 1), cost, 400, i % 4 == 0 ? String.valueOf(i + 1) : "no", new BigDecimal("0.00002"),
                        150, null));
            }
        }
        try (DuckDbLedger duck = DuckDbLedger.open(data)) {
            fill(duck, rows, prompts, shadows);
        }
        try (PgFixture pg = new PgFixture(); PgDatabase db = pg.open();
             PgLedger shared = PgLedger.open(db, journal, LedgerOptions.DEFAULTS)) {
            fill(shared, rows, prompts, shadows);
            LedgerSource file = new LedgerSource();
            LedgerSource postgres = LedgerSource.shared(PgFixture.URL, pg.schema);

            JsonNode fromFile = PromptLogTasks.sample(file, data, SharedLedgerEvalTest::noGateway, 40, "3d", 7, "feature=eval", NOW);
            JsonNode fromPg = PromptLogTasks.sample(postgres, NO_GATEWAY, SharedLedgerEvalTest::noGateway, 40, "3d", 7, "feature=eval", NOW);
            assertThat(fromPg).isEqualTo(fromFile);
            assertThat(fromFile.path("prompts")).hasSize(40).allSatisfy(p -> {
                int i = Integer.parseInt(p.path("request_id").asText().substring(4));
                assertThat(i % 7).as("the eval's own calls are left out").isNotZero();
                assertThat(p.path("answer").asText()).isEqualTo(String.valueOf(i + 1));
            });
            assertThat(PromptLogTasks.tasks(fromPg, null)).hasSize(40);

            for (String route : List.of("support", "triage")) {
                List<ShadowAnswer> a = ShadowEval.answers(file, data, null, route, "2d", NOW, Duration.ofDays(2));
                List<ShadowAnswer> b = ShadowEval.answers(postgres, NO_GATEWAY, null, route, "2d", NOW, Duration.ofDays(2));
                assertThat(b).isEqualTo(a).isNotEmpty().allSatisfy(s -> assertThat(s.route()).isEqualTo(route));
                SpendRow spendFile = ShadowEval.routeSpend(file, data, null, route, NOW, Duration.ofDays(2));
                SpendRow spendPg = ShadowEval.routeSpend(postgres, NO_GATEWAY, null, route, NOW, Duration.ofDays(2));
                BigDecimal expected = rows.stream().filter(e -> e.deployment().equals(route))
                        .filter(e -> e.time().isAfter(NOW.minus(Duration.ofDays(2))) || e.time().equals(NOW.minus(Duration.ofDays(2))))
                        .map(LedgerEntry::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
                assertThat(spendFile.costUsd()).isEqualByComparingTo(expected);
                assertThat(spendPg.costUsd()).isEqualTo(spendFile.costUsd());
                assertThat(spendPg.requests()).isEqualTo(spendFile.requests()).isPositive();
            }
        }
    }

    private static void fill(Ledger ledger, List<LedgerEntry> rows, List<PromptRecord> prompts, List<ShadowAnswer> shadows) {
        rows.forEach(ledger::append);
        ledger.flush();
        prompts.forEach(ledger.prompts()::append);
        ledger.prompts().flush();
        shadows.forEach(ledger.shadows()::append);
        ledger.shadows().flush();
    }

    private static dev.tollgate.app.GatewayLink noGateway() {
        throw new AssertionError("the ledger is read directly: no gateway is asked");
    }
}
