package dev.tollgate.store.duckdb;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.LedgerHealth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The journal, its replay, and a full disk (a commit that fails as DuckDB's does on ENOSPC). */
class LedgerDurabilityTest {

    private static final Instant T0 = Instant.parse("2025-03-01T10:15:30.123456Z");
    /** What DuckDB throws when the disk is full under its write-ahead log. */
    static final String ENOSPC = "IO Error: Could not write file \"ledger.duckdb.wal\": No space left on device";

    @TempDir
    Path dir;

    private final AtomicBoolean diskFull = new AtomicBoolean();

    private DuckDbLedger.BeforeCommit disk() {
        return () -> {
            if (diskFull.get()) throw new SQLException(ENOSPC);
        };
    }

    private static LedgerOptions options(int memoryRows, long spoolMaxBytes, boolean serve) {
        return new LedgerOptions(null, memoryRows, spoolMaxBytes, 64L << 20, 0, serve);
    }

    @Test
    void rowsLeftInTheJournalByADeadProcessAreWrittenOnceAtTheNextStart() throws Exception {
        LedgerEntry committed = DuckDbLedgerTest.entry(T0, Map.of("team", "a"), "m", "0.000000000001");
        LedgerEntry lost = DuckDbLedgerTest.entry(T0.plusSeconds(1), Map.of("team", "b"), "m", "2.5");
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            ledger.append(committed);
            ledger.flush();
        }
        // as a killed process leaves it: both rows journaled, one of them committed, the last line torn
        Path journal = Files.createDirectories(dir.resolve(DuckDbLedger.JOURNAL_DIR));
        Path segment = journal.resolve("ledger-journal-0000000000000000007.jsonl");
        Files.write(segment, JournalCodec.encode(committed));
        Files.write(segment, JournalCodec.encode(lost), StandardOpenOption.APPEND);
        Files.write(segment, "{\"t\":17409".getBytes(), StandardOpenOption.APPEND);
        Files.copy(segment, journal.resolve("ledger-journal-0000000000000000008.jsonl")); // the same rows again: idempotent

        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            ledger.flush();
            List<LedgerEntry> rows = ledger.recent(10);
            assertThat(rows).extracting(LedgerEntry::requestId).containsExactly(lost.requestId(), committed.requestId());
            assertThat(rows.getFirst()).isEqualTo(lost);
            assertThat(segments()).isEmpty();
        }
    }

    @Test
    void aCleanCloseLeavesNoJournal() throws Exception {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            for (int i = 0; i < 100; i++) ledger.append(DuckDbLedgerTest.entry(T0, Map.of(), "m", "1"));
        }
        assertThat(segments()).isEmpty();
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            assertThat(ledger.recent(1000)).hasSize(100);
        }
    }

    @Test
    void aFullDiskKeepsRowsInMemoryAndTheJournalAndWritesThemWhenSpaceReturns() throws Exception {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir, options(100, 64L << 20, false), disk())) {
            ledger.append(DuckDbLedgerTest.entry(T0, Map.of(), "m", "1"));
            ledger.flush();
            assertThat(ledger.health()).isEqualTo(LedgerHealth.OK);

            diskFull.set(true);
            for (int i = 0; i < 1000; i++) ledger.append(DuckDbLedgerTest.entry(T0.plusMillis(i), Map.of(), "m", "1"));
            // an admin query flushes first: it must not hang for as long as the disk stays full
            long started = System.nanoTime();
            ledger.flush();
            assertThat(System.nanoTime() - started).isLessThan(java.util.concurrent.TimeUnit.SECONDS.toNanos(20));
            LedgerHealth health = awaitDegraded(ledger);
            assertThat(health.reason()).contains("No space left on device");
            assertThat(health.refusing()).isFalse(); // the journal still takes rows
            assertThat(health.spooledRows()).isPositive();
            assertThat(health.queuedRows() + health.spooledRows()).isGreaterThanOrEqualTo(1000 - 2048);
            assertThat(health.lostRows()).isZero();

            diskFull.set(false);
            ledger.flush();
            List<LedgerEntry> rows = ledger.recent(10_000);
            assertThat(rows).hasSize(1001);
            assertThat(rows).extracting(LedgerEntry::requestId).doesNotHaveDuplicates();
            assertThat(ledger.health()).isEqualTo(LedgerHealth.OK);
            assertThat(ledger.droppedRows() + ledger.failedRows()).isZero();
        }
        assertThat(segments()).isEmpty();
    }

    @Test
    void closingWhileTheDiskIsFullLeavesTheRowsForTheNextStart() throws Exception {
        DuckDbLedger ledger = DuckDbLedger.open(dir, options(10, 64L << 20, false), disk());
        diskFull.set(true);
        for (int i = 0; i < 500; i++) ledger.append(DuckDbLedgerTest.entry(T0.plusMillis(i), Map.of(), "m", "1"));
        ledger.close();
        assertThat(segments()).isNotEmpty();
        try (DuckDbLedger again = DuckDbLedger.open(dir)) {
            again.flush();
            assertThat(again.recent(10_000)).hasSize(500).extracting(LedgerEntry::requestId).doesNotHaveDuplicates();
        }
        assertThat(segments()).isEmpty();
    }

    @Test
    void whenNeitherMemoryNorTheSpoolCanKeepARowTheLedgerRefusesOrCountsItAsLost() throws Exception {
        for (boolean serve : new boolean[]{false, true}) {
            Path data = Files.createDirectories(dir.resolve("serve-" + serve));
            diskFull.set(true);
            try (DuckDbLedger ledger = DuckDbLedger.open(data, options(10, 1 << 20, serve), disk())) {
                int appended = 0;
                while (ledger.droppedRows() == 0 && appended < 100_000) {
                    ledger.append(DuckDbLedgerTest.entry(T0.plusMillis(appended++), Map.of(), "m", "1"));
                }
                LedgerHealth health = ledger.health();
                assertThat(health.degraded()).isTrue();
                assertThat(health.reason()).contains("ledger.spool_max_mb").contains("cannot be kept");
                assertThat(health.refusing()).isEqualTo(!serve);
                assertThat(health.lostRows()).isEqualTo(1);

                diskFull.set(false);
                ledger.flush();
                assertThat(ledger.recent(200_000)).hasSize(appended - 1);
            }
        }
    }

    private static LedgerHealth awaitDegraded(DuckDbLedger ledger) throws InterruptedException {
        for (int i = 0; i < 1000; i++) {
            LedgerHealth h = ledger.health();
            if (h.degraded() && h.reason().contains("fail")) return h;
            Thread.sleep(10);
        }
        throw new AssertionError("the ledger never reported the full disk: " + ledger.health());
    }

    private List<Path> segments() throws Exception {
        Path journal = dir.resolve(DuckDbLedger.JOURNAL_DIR);
        if (!Files.exists(journal)) return List.of();
        try (Stream<Path> files = Files.list(journal)) {
            return files.toList();
        }
    }
}
