package dev.tollgate.store.postgres;

import dev.tollgate.store.AuditedPrompt;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.PromptRecord;
import dev.tollgate.store.ShadowAnswer;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.duckdb.LedgerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The prompt log and shadow answers of the embedded and the shared ledger, given the same rows, answer the audit, the
 * seeded sample of {@code eval --prompt-log} and {@code eval --shadow}'s answers the same, and both match what is
 * computed here from the rows themselves (the sample's order from Java's own MD5).
 */
class PromptAndShadowContractTest {

    private static final Instant START = Instant.parse("2026-10-30T22:17:00Z");

    @TempDir
    Path duckDir;
    @TempDir
    Path pgJournal;

    @Test
    void bothLedgersKeepAndAnswerPromptsAndShadowAnswersAlike() throws Exception {
        List<LedgerEntry> rows = new ArrayList<>(LedgerContractTest.withAttempts(LedgerContractTest.rows(600, 11, START)));
        LedgerEntry shadowed = rows.stream().filter(LedgerContractTest::standing).filter(e -> e.status() < 400).findFirst().orElseThrow();
        rows.add(LedgerContractTest.shadowOf(shadowed));
        List<LedgerEntry> standing = rows.stream().filter(LedgerContractTest::standing).filter(e -> !e.tags().containsKey("shadow")).toList();
        Random r = new Random(3);
        List<PromptRecord> prompts = new ArrayList<>();
        for (LedgerEntry e : standing) {
            if (r.nextInt(3) == 0) continue; // a sample: not every request's prompt is logged
            Map<String, String> tags = new HashMap<>(e.tags());
            int mark = r.nextInt(6);
            if (mark == 0) tags.put("feature", "eval"); // an eval's own call, left out of the sample
            if (mark == 1) tags.put("tollgate", "eval"); // one under a key whose feature tag won over the eval's
            prompts.add(new PromptRecord(e.time(), e.requestId(), e.keyName(), tags, e.api(), e.requestedModel(),
                    r.nextBoolean() ? null : "You are terse. " + r.nextInt(5),
                    List.of(new PromptRecord.Message("user", "question " + e.requestId() + " ünïcode \"quoted\"")),
                    r.nextBoolean() ? -1 : 256, 10, r.nextInt(100), 7, 0.5, r.nextInt(5) == 0 ? null : "answer " + e.requestId()));
        }
        List<ShadowAnswer> shadows = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            LedgerEntry e = standing.get(i * 5);
            boolean failed = i % 9 == 0;
            shadows.add(new ShadowAnswer(e.time(), e.requestId(), i % 2 == 0 ? "default" : "search", "gpt-4o-mini", e.api(),
                    "question " + i, e.servedModel(), "answer " + i, e.costUsd(), 100 + i, failed ? null : "candidate " + i,
                    LedgerContractTest.strip(e.costUsd().movePointLeft(1)), 50 + i, failed ? "timeout" : null));
        }
        Instant from = START.plus(3, ChronoUnit.HOURS).plusSeconds(321);
        Instant to = START.plus(14, ChronoUnit.HOURS);

        try (PgFixture fixture = new PgFixture(); PgDatabase db = fixture.open();
             DuckDbLedger duck = DuckDbLedger.open(duckDir);
             PgLedger pg = PgLedger.open(db, pgJournal, LedgerOptions.DEFAULTS)) {
            for (Ledger l : List.of(duck, pg)) {
                rows.forEach(l::append);
                l.flush();
                prompts.forEach(l.prompts()::append);
                l.prompts().flush();
                shadows.forEach(l.shadows()::append);
                l.shadows().flush();
                assertThat(l.prompts().droppedPrompts()).isZero();
                assertThat(l.shadows().dropped()).isZero();
            }

            List<AuditedPrompt> audited = expectedAudit(prompts, standing, from, to, 40);
            assertThat(audited).hasSize(40);
            assertThat(duck.prompts().audited(from, to, 40)).isEqualTo(audited);
            assertThat(pg.prompts().audited(from, to, 40)).isEqualTo(audited);
            List<AuditedPrompt> all = expectedAudit(prompts, standing, null, null, 10_000);
            assertThat(pg.prompts().audited(null, null, 10_000)).isEqualTo(all);
            assertThat(duck.prompts().audited(null, null, 10_000)).isEqualTo(all);

            List<Map<String, String>> evalTags = List.of(Map.of("feature", "eval"), Map.of("tollgate", "eval"));
            for (long seed : new long[] {1, 42}) {
                List<AuditedPrompt> sample = expectedSample(all, from, 25, seed, evalTags);
                assertThat(sample).hasSize(25);
                assertThat(duck.prompts().sample(from, null, 25, seed, evalTags)).as("DuckDB, seed %d", seed).isEqualTo(sample);
                assertThat(pg.prompts().sample(from, null, 25, seed, evalTags)).as("PostgreSQL, seed %d", seed).isEqualTo(sample);
            }
            assertThat(pg.prompts().sample(null, null, 1000, 7, List.of()))
                    .isEqualTo(expectedSample(all, null, 1000, 7, List.of()));

            for (String route : List.of("default", "search")) {
                List<ShadowAnswer> expected = shadows.stream().filter(s -> s.route().equals(route))
                        .filter(s -> !s.time().isBefore(from) && s.time().isBefore(to))
                        .map(PromptAndShadowContractTest::asStored)
                        .sorted(Comparator.comparing(ShadowAnswer::time).thenComparing(ShadowAnswer::requestId)).toList();
                assertThat(expected).isNotEmpty();
                assertThat(duck.shadows().answers(route, from, to)).isEqualTo(expected);
                assertThat(pg.shadows().answers(route, from, to)).isEqualTo(expected);
            }
        }
    }

    /** Logged prompts of successful client requests in the range, the newest {@code limit}, oldest first, with their cost. */
    private static List<AuditedPrompt> expectedAudit(List<PromptRecord> prompts, List<LedgerEntry> standing, Instant from,
                                                     Instant to, int limit) {
        Map<String, LedgerEntry> byId = new HashMap<>();
        standing.forEach(e -> byId.put(e.requestId(), e));
        return prompts.stream()
                .filter(p -> byId.get(p.requestId()).status() < 400)
                .filter(p -> (from == null || !p.time().isBefore(from)) && (to == null || p.time().isBefore(to)))
                .sorted(Comparator.comparing(PromptRecord::time).reversed()).limit(limit)
                .sorted(Comparator.comparing(PromptRecord::time).thenComparing(PromptRecord::requestId))
                .map(p -> {
                    LedgerEntry e = byId.get(p.requestId());
                    return new AuditedPrompt(p, e.priceVersion().substring(0, e.priceVersion().indexOf('@')), e.usage(),
                            e.costUsd(), e.status());
                }).toList();
    }

    /** The prompts with an answer and without every tag of {@code excluding}, ordered by MD5(request id + seed), the first n. */
    private static List<AuditedPrompt> expectedSample(List<AuditedPrompt> all, Instant from, int n, long seed,
                                                      List<Map<String, String>> excluding) {
        return all.stream()
                .filter(a -> a.prompt().answer() != null)
                .filter(a -> from == null || !a.prompt().time().isBefore(from))
                .filter(a -> excluding.stream().noneMatch(set -> set.entrySet().stream()
                        .allMatch(t -> t.getValue().equals(a.prompt().tags().get(t.getKey())))))
                .sorted(Comparator.comparing((AuditedPrompt a) -> md5(a.prompt().requestId() + seed))
                        .thenComparing(a -> a.prompt().requestId()))
                .limit(n)
                .sorted(Comparator.comparing((AuditedPrompt a) -> a.prompt().time()).thenComparing(a -> a.prompt().requestId()))
                .toList();
    }

    private static String md5(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** As both stores answer costs: twelve decimals at most, without padding zeros. */
    private static ShadowAnswer asStored(ShadowAnswer s) {
        return new ShadowAnswer(s.time(), s.requestId(), s.route(), s.candidate(), s.api(), s.prompt(), s.productionModel(),
                s.productionAnswer(), LedgerContractTest.strip(s.productionCostUsd()), s.productionMillis(), s.candidateAnswer(),
                LedgerContractTest.strip(s.candidateCostUsd()), s.candidateMillis(), s.candidateError());
    }
}
