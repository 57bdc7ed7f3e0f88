package dev.tollgate.store.duckdb;

import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.budget.Budget;
import dev.tollgate.store.BudgetStore;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.LedgerHealth;
import dev.tollgate.store.Outcome;
import dev.tollgate.store.StorageFullException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A real full disk: the data directory on a 32 MB tmpfs that a filler file fills, the journal elsewhere (as
 * {@code ledger.journal_dir} allows). Needs root to
 * mount (skipped otherwise). Readers look rows up while writes fail, as the admin API does; the process must keep
 * answering, and every row must be in the ledger once space returns.
 */
class TinyDiskTest {

    @TempDir
    Path dir;
    private Path mount;

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
    }

    @Test
    void rowsWrittenWhileTheDiskIsFullAreKeptAndTheProcessKeepsAnswering() throws Exception {
        mount = Files.createDirectories(dir.resolve("tiny"));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", mount.toString()).redirectErrorStream(true).start();
        boolean mounted = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        if (!mounted) mount = null;
        Assumptions.assumeTrue(mounted, "mounting a tmpfs is not permitted here");

        Path data = mount.resolve("data");
        // min_free_mb 4: the writer stops before DuckDB meets the full disk (with 0, DuckDB 1.4.4's appender failed
        // its commit and later wrote tags of several rows into one: the engine's out-of-space path is not safe)
        LedgerOptions options = new LedgerOptions(dir.resolve("journal"), 1000, 64L << 20, 1L << 20, 4L << 20, false);
        Instant t0 = Instant.parse("2025-03-01T10:00:00Z");
        try (DuckDbLedger ledger = DuckDbLedger.open(data, options)) {
            ledger.append(DuckDbLedgerTest.entry(t0, Map.of(), "m", "1"));
            ledger.flush();
            String known = ledger.recent(1).getFirst().requestId();

            Path filler = mount.resolve("filler");
            fill(filler);
            AtomicBoolean reading = new AtomicBoolean(true);
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 4; r++) {
                readers.add(Thread.ofPlatform().start(() -> {
                    while (reading.get()) {
                        try {
                            ledger.find(known);
                            ledger.find("missing-" + System.nanoTime());
                        } catch (IllegalStateException e) {
                            // a query may fail on a full disk; it must not take the process down
                        }
                    }
                }));
            }
            for (int i = 1; i <= 20_000; i++) ledger.append(DuckDbLedgerTest.entry(t0.plusMillis(i), Map.of("team", "t" + (i % 7)), "m", "1"));
            LedgerHealth during = awaitDegraded(ledger);
            assertThat(during.lostRows()).isZero();

            Files.delete(filler);
            awaitCaughtUp(ledger);
            reading.set(false);
            for (Thread t : readers) t.join();
            assertThat(ledger.find(known)).isPresent();
            List<LedgerEntry> rows = ledger.recent(100_000);
            assertThat(rows).hasSize(20_001).extracting(LedgerEntry::requestId).doesNotHaveDuplicates();
            assertThat(ledger.health().degraded()).isFalse();
        }
    }

    @Test
    void budgetAlertAndOutcomeWritesOnAFullDiskAreRefusedWholeAndSucceedOnceThereIsRoom() throws Exception {
        mount = Files.createDirectories(dir.resolve("tiny"));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", mount.toString()).redirectErrorStream(true).start();
        boolean mounted = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        if (!mounted) mount = null;
        Assumptions.assumeTrue(mounted, "mounting a tmpfs is not permitted here");

        LedgerOptions options = new LedgerOptions(dir.resolve("journal"), 1000, 64L << 20, 1L << 20, 4L << 20, false);
        Instant t0 = Instant.parse("2025-03-01T10:00:00Z");
        try (DuckDbLedger ledger = DuckDbLedger.open(mount.resolve("data"), options)) {
            BudgetStore store = ledger.budgetStore();
            store.save(DuckDbBudgetStoreTest.budget("before", "10"));
            Path filler = mount.resolve("filler");
            fill(filler);

            Budget late = DuckDbBudgetStoreTest.budget("late", "20");
            Alert alert = new Alert(t0, "budget_threshold", "before", "60%", Map.of());
            Outcome outcome = new Outcome(t0, "req-1", null, true, new BigDecimal("2.5"));
            assertThatThrownBy(() -> store.save(late)).isInstanceOf(StorageFullException.class)
                    .hasMessageContaining("budget 'late' was not saved").hasMessageContaining("ledger.min_free_mb");
            assertThatThrownBy(() -> store.delete("before")).isInstanceOf(StorageFullException.class);
            assertThatThrownBy(() -> store.record(alert)).isInstanceOf(StorageFullException.class);
            assertThatThrownBy(() -> ledger.recordOutcome(outcome)).isInstanceOf(StorageFullException.class);
            // reads still answer, and none of the refused writes left a trace
            assertThat(store.budgets()).extracting(Budget::name).containsExactly("before");
            assertThat(store.deleted()).isEmpty();
            assertThat(store.alerts(10)).isEmpty();
            assertThat(outcomeCount(ledger)).isZero();

            Files.delete(filler);
            store.save(late);
            store.record(alert);
            ledger.recordOutcome(outcome);
            assertThat(store.budgets()).extracting(Budget::name).containsExactly("before", "late");
            assertThat(store.alerts(10)).containsExactly(alert);
            assertThat(outcomeCount(ledger)).isEqualTo(1);
        }
    }

    private static long outcomeCount(DuckDbLedger ledger) {
        return ledger.query("SELECT count(*) FROM outcomes", List.of(), rs -> {
            rs.next();
            return rs.getLong(1);
        });
    }

    private static void fill(Path filler) {
        byte[] block = new byte[64 << 10];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) out.write(block);
        } catch (IOException full) {
            // the disk is full
        }
    }

    /**
     * Space is back: flush until the writer has caught up. While commits still fail, a flush returns after about 2 s with
     * rows still kept (DuckDbLedger#flush), and on a loaded machine the writer's next try and its replay of the spooled
     * rows can take longer than that.
     */
    private static void awaitCaughtUp(DuckDbLedger ledger) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        do {
            ledger.flush();
        } while (ledger.health().degraded() && System.nanoTime() < deadline);
        ledger.flush(); // commits succeed again: this one waits for every row queued before it
    }

    private static LedgerHealth awaitDegraded(DuckDbLedger ledger) throws InterruptedException {
        for (int i = 0; i < 3000; i++) {
            LedgerHealth h = ledger.health();
            if (h.degraded()) return h;
            Thread.sleep(10);
        }
        throw new AssertionError("the ledger never noticed the full disk: " + ledger.health());
    }
}
