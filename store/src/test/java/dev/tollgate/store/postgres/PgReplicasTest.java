package dev.tollgate.store.postgres;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.duckdb.LedgerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two replicas write one ledger at once, each sealing hours while the other still sends rows for them: every row
 * counts once, and both replicas' reports equal the totals computed from the rows.
 */
class PgReplicasTest {

    private static final Instant START = Instant.parse("2026-11-20T00:00:00Z");

    @TempDir
    Path journalA;
    @TempDir
    Path journalB;

    @Test
    void twoReplicasWritingAtOnceAgreeToTheLastDecimal() throws Exception {
        List<LedgerEntry> a = LedgerContractTest.withAttempts(LedgerContractTest.rows(3000, 21, START));
        List<LedgerEntry> b = LedgerContractTest.withAttempts(LedgerContractTest.rows(3000, 22, START.plusSeconds(13))); // the same hours, interleaved
        try (PgFixture fixture = new PgFixture(); PgDatabase dbA = fixture.open(); PgDatabase dbB = fixture.open();
             PgLedger replicaA = PgLedger.open(dbA, journalA, LedgerOptions.DEFAULTS);
             PgLedger replicaB = PgLedger.open(dbB, journalB, LedgerOptions.DEFAULTS)) {
            Thread writerA = Thread.ofPlatform().start(() -> feed(replicaA, a));
            Thread writerB = Thread.ofPlatform().start(() -> feed(replicaB, b));
            writerA.join();
            writerB.join();
            replicaA.flush();
            replicaB.flush();
            replicaA.flush(); // A seals what B's last rows left open, if anything

            List<LedgerEntry> all = new ArrayList<>(a);
            all.addAll(b);
            assertThat(replicaA.sealedUntil()).isAfter(START.plus(1, ChronoUnit.DAYS));
            List<Function<LedgerEntry, String>> byModel = List.of(LedgerEntry::servedModel);
            SpendQuery query = new SpendQuery(List.of("model"), null, null, null);
            var expected = LedgerContractTest.expected(all, null, null, e -> true, byModel);
            List<SpendRow> fromA = replicaA.spend(query);
            List<SpendRow> fromB = replicaB.spend(query);
            assertThat(LedgerContractTest.actual(fromA, List.of("model"))).isEqualTo(expected);
            assertThat(fromB).isEqualTo(fromA);
            SpendQuery byDayAndTeam = new SpendQuery(List.of("team"), null, null, Map.of(), "day");
            assertThat(LedgerContractTest.actual(replicaB.spend(byDayAndTeam), List.of("day", "team"))).isEqualTo(
                    LedgerContractTest.expected(all, null, null, e -> true,
                            List.of(e -> e.time().toString().substring(0, 10), e -> e.tags().get("team"))));
        }
    }

    /** Appends in bursts with flushes between them, so that seals and inserts of the two replicas interleave. */
    private static void feed(PgLedger ledger, List<LedgerEntry> rows) {
        for (int i = 0; i < rows.size(); i += 250) {
            rows.subList(i, Math.min(rows.size(), i + 250)).forEach(ledger::append);
            ledger.flush();
        }
    }
}
