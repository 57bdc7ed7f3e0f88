package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Json;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.PromptRecord;
import dev.tollgate.store.ShadowAnswer;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.postgres.PgFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16: the CLI reads the shared ledger in PostgreSQL directly ({@code --ledger}) and answers what it answers from
 * the embedded file for the same rows: the month-end forecast, the what-if replay, the capacity plan and the prompt
 * audit (the prompt log and shadow answers having been moved across by {@code ledger copy}).
 */
class SharedLedgerReadsTest {

    private static final Instant START = Instant.parse("2026-10-20T00:00:00Z");

    @TempDir
    Path data;

    @Test
    void planAndAuditReadTheSameNumbersFromPostgresAsFromTheFile() throws Exception {
        Random r = new Random(5);
        List<LedgerEntry> rows = new ArrayList<>();
        String[] models = {"gpt-4o", "gpt-4o-mini"};
        String[] teams = {"cx", "search", "ops"};
        for (int i = 0; i < 1200; i++) {
            String model = models[r.nextInt(2)];
            BigDecimal cost = BigDecimal.valueOf(r.nextLong(1, 90_000_000_000L), 12).stripTrailingZeros();
            rows.add(new LedgerEntry(START.plusSeconds(i * 1201L + r.nextInt(600)), "req-" + i, i % 2 == 0 ? "a" : "b",
                    Map.of("team", teams[r.nextInt(3)], "feature", "f" + r.nextInt(2)), "openai.chat", "openai", "default",
                    model, model, new Usage(r.nextInt(4000), 0, 0, 0, r.nextInt(600), 0), cost, model + "@v1",
                    r.nextInt(20) == 0 ? 500 : 200, null, 1000, -1, false, false));
        }
        try (DuckDbLedger ledger = DuckDbLedger.open(data)) {
            rows.forEach(ledger::append);
            ledger.flush();
            for (int i = 0; i < rows.size(); i += 2) {
                LedgerEntry e = rows.get(i);
                ledger.prompts().append(new PromptRecord(e.time(), e.requestId(), e.keyName(), e.tags(), e.api(), e.requestedModel(),
                        "You are a support agent for Acme. Answer in one short paragraph. " + "Policy text. ".repeat(40),
                        List.of(new PromptRecord.Message("user", "Where is order " + i + "?")), -1, 180, 0, 9, 0.5,
                        "It ships tomorrow."));
                if (i % 10 == 0) {
                    ledger.shadows().append(new ShadowAnswer(e.time(), e.requestId(), "default", "gpt-4o-mini", e.api(),
                            "Where is order " + i + "?", e.servedModel(), "It ships tomorrow.", e.costUsd(), 300,
                            "Tomorrow.", new BigDecimal("0.00001"), 120, null));
                }
            }
            ledger.prompts().flush();
            ledger.shadows().flush();
        }
        try (PgFixture pg = new PgFixture()) {
            AuditCommandTest.Run copy = AuditCommandTest.audit("ledger", "copy", "--from", data.toString(), "--to", PgFixture.URL,
                    "--schema", pg.schema);
            assertThat(copy.exit()).as(copy.err()).isZero();
            assertThat(copy.out()).contains("copied 1200 rows, 0 outcomes, 600 logged prompts and 120 shadow answers")
                    .contains("totals match to the last decimal");
            String[] shared = {"--ledger", PgFixture.URL, "--ledger-schema", pg.schema};
            String[] file = {"--data", data.toString()};

            String[][] commands = {
                    {"plan", "forecast", "--as-of", "2026-11-05T12:00:00Z", "--by", "team", "--budget", "cx=40", "--format", "json"},
                    {"plan", "whatif", "--from", "2026-10-22", "--to", "2026-11-03", "--route", "gpt-4o->gpt-4o-mini", "--by", "team",
                            "--format", "json"},
                    {"plan", "capacity", "--ledger-provider", "openai", "--from", "2026-10-21", "--to", "2026-10-27", "--format", "json"},
            };
            for (String[] command : commands) {
                AuditCommandTest.Run fromFile = AuditCommandTest.audit(concat(command, file));
                AuditCommandTest.Run fromPg = AuditCommandTest.audit(concat(command, shared));
                assertThat(fromFile.exit()).as(fromFile.err()).isZero();
                assertThat(fromPg.exit()).as(fromPg.err()).isZero();
                JsonNode a = withoutNotes(Json.parse(fromFile.out())), b = withoutNotes(Json.parse(fromPg.out()));
                assertThat(b).as(String.join(" ", command) + "\nfile: " + fromFile.out() + "\npg: " + fromPg.out()).isEqualTo(a);
                assertThat(a.toString()).containsPattern("[1-9]");
            }

            // the prompt audit of the same logged prompts, from either store, with the same catalog and window
            var catalog = PricesCommand.catalog(data);
            Instant from = START.plusSeconds(3 * 86_400);
            JsonNode fromFile;
            try (DuckDbLedger ledger = DuckDbLedger.open(data)) {
                fromFile = AuditCommand.audit(ledger, catalog, from, "team");
            }
            JsonNode fromPg;
            try (LedgerSource.Shared s = LedgerSource.shared(PgFixture.URL, pg.schema).open()) {
                fromPg = AuditCommand.audit(s.ledger(), catalog, from, "team");
            }
            assertThat(fromPg).isEqualTo(fromFile);
            assertThat(fromFile.path("window").path("requests").asLong()).isPositive();
            assertThat(fromFile.path("findings")).isNotEmpty();
        }
    }

    /** The tables without their notes (which say where the data came from and how long it took). */
    private static JsonNode withoutNotes(JsonNode node) {
        if (node instanceof ObjectNode o) {
            o.remove("notes");
            o.remove("note");
            o.properties().forEach(e -> withoutNotes(e.getValue()));
        } else if (node instanceof ArrayNode a) {
            a.forEach(SharedLedgerReadsTest::withoutNotes);
        }
        return node;
    }

    private static String[] concat(String[] a, String[] b) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b)).toArray(String[]::new);
    }
}
