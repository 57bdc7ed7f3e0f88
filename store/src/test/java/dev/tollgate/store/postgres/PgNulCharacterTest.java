package dev.tollgate.store.postgres;

import dev.tollgate.store.AuditedPrompt;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.PromptRecord;
import dev.tollgate.store.ShadowAnswer;
import dev.tollgate.store.duckdb.LedgerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A U+0000 in what a client or a provider sent (JSON allows it; PostgreSQL's text and jsonb do not) costs nothing
 * else: the row, prompt or shadow answer is kept with U+FFFD in its place, and the others of its batch are kept too.
 */
class PgNulCharacterTest {

    private static final Instant AT = Instant.parse("2026-11-20T10:00:00Z");

    @TempDir
    Path journal;

    @Test
    void aNulCharacterIsKeptAsTheReplacementCharacterAndFailsNoBatch() throws Exception {
        List<LedgerEntry> rows = LedgerContractTest.rows(40, 5, AT).stream().filter(e -> e.status() < 400).toList();
        LedgerEntry plain = rows.get(0);
        LedgerEntry answered = new LedgerEntry(plain.time(), "req-nul", plain.keyName(), plain.tags(), plain.api(),
                plain.provider(), plain.deployment(), plain.requestedModel(), plain.servedModel(), plain.usage(),
                plain.costUsd(), plain.priceVersion(), 200, null, plain.latencyMicros(), plain.ttftMicros(), false, false);
        LedgerEntry failed = new LedgerEntry(plain.time(), "req-nul-failed", plain.keyName(), plain.tags(), plain.api(),
                plain.provider(), plain.deployment(), plain.requestedModel(), null, plain.usage(), plain.costUsd(),
                plain.priceVersion(), 502, "the provider said: bad\u0000byte", plain.latencyMicros(), -1, false, false);
        PromptRecord prompt = new PromptRecord(AT, "req-nul", "k", Map.of(), "openai.chat", "gpt-4o-mini", "sys\u0000tem",
                List.of(new PromptRecord.Message("user", "hello\u0000world")), 64, 1, 0, 2, 1.0, "an\u0000swer");
        PromptRecord neighbour = new PromptRecord(AT.plusSeconds(1), rows.get(1).requestId(), "k", Map.of(), "openai.chat",
                "gpt-4o-mini", null, List.of(new PromptRecord.Message("user", "plain")), -1, 0, 0, 1, 1.0, "fine");
        ShadowAnswer shadow = new ShadowAnswer(AT, "req-nul", "default", "gpt-4o-mini", "openai.chat", "q\u0000",
                "gpt-4o", "a\u0000", new BigDecimal("0.001"), 100, "c\u0000", new BigDecimal("0.0001"), 50, "e\u0000");

        try (PgFixture fixture = new PgFixture(); PgDatabase db = fixture.open();
             PgLedger pg = PgLedger.open(db, journal, LedgerOptions.DEFAULTS)) {
            pg.append(answered);
            pg.append(failed);
            rows.forEach(pg::append);
            pg.flush();
            pg.prompts().append(prompt);
            pg.prompts().append(neighbour);
            pg.prompts().flush();
            pg.shadows().append(shadow);
            pg.shadows().flush();

            assertThat(pg.find("req-nul-failed")).get().extracting(LedgerEntry::error).isEqualTo("the provider said: bad\uFFFDbyte");
            assertThat(pg.find("req-nul")).contains(answered);
            for (LedgerEntry e : rows) assertThat(pg.find(e.requestId())).as(e.requestId()).contains(e);
            assertThat(pg.health().spooledRows()).isZero();

            assertThat(pg.prompts().droppedPrompts()).isZero();
            List<PromptRecord> stored = pg.prompts().audited(null, null, 10).stream().map(AuditedPrompt::prompt).toList();
            assertThat(stored).extracting(PromptRecord::requestId).contains("req-nul", neighbour.requestId());
            PromptRecord kept = stored.stream().filter(p -> p.requestId().equals("req-nul")).findFirst().orElseThrow();
            assertThat(kept.systemPrompt()).isEqualTo("sys\uFFFDtem");
            assertThat(kept.messages()).containsExactly(new PromptRecord.Message("user", "hello\uFFFDworld"));
            assertThat(kept.answer()).isEqualTo("an\uFFFDswer");

            assertThat(pg.shadows().dropped()).isZero();
            assertThat(pg.shadows().answers("default", null, null)).singleElement().satisfies(s -> {
                assertThat(s.prompt()).isEqualTo("q\uFFFD");
                assertThat(s.productionAnswer()).isEqualTo("a\uFFFD");
                assertThat(s.candidateAnswer()).isEqualTo("c\uFFFD");
                assertThat(s.candidateError()).isEqualTo("e\uFFFD");
            });
        }
    }
}
