package dev.tollgate.planner.whatif;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.duckdb.LedgerScan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PipelinedReplayTest {

    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    static final int ROWS = 100_000; // more than the reader's queue holds (16 batches of 4096)

    static void write(Path dir) {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            for (int i = 0; i < ROWS; i++) {
                // every other row a repeat of the previous one (same key, model, tags and prompt) a second later
                ledger.append(new LedgerEntry(T0.plusSeconds(i), "r" + i, "app", Map.of("team", "x"), "openai.chat", "openai",
                        "gpt-4o", "gpt-4o", "gpt-4o", new Usage(1000 + i / 2, 0, 0, 0, 100, 0), new BigDecimal("0.0035"),
                        "gpt-4o@2024-10-01", 200, null, 1000, 500, false, false));
            }
        }
    }

    @Test
    void everyRowIsReplayedInTimeOrder(@TempDir Path dir) throws Exception {
        write(dir);
        ReplayEngine engine = new ReplayEngine(PriceCatalog.bundled(), new ReplayPolicy(List.of(), Duration.ofMinutes(1), 0, 0, null), null);
        AtomicLong progress = new AtomicLong();
        ReplayResult r;
        try (LedgerScan scan = LedgerScan.open(dir)) {
            r = PipelinedReplay.run(scan, null, null, engine, progress::set);
        }
        assertThat(r.rows()).isEqualTo(ROWS);
        assertThat(progress.get()).isEqualTo(ROWS);
        assertThat(r.cacheHits()).isEqualTo(ROWS / 2);
        // the repeats cost nothing: half the recorded bill is saved
        assertThat(r.before()).isEqualByComparingTo(new BigDecimal("0.0035").multiply(BigDecimal.valueOf(ROWS)));
        assertThat(r.savingByPart().get("response cache")).isEqualByComparingTo(new BigDecimal("0.0035").multiply(BigDecimal.valueOf(ROWS / 2)));
    }

    @Test
    @Timeout(60)
    void aFailingReplayStopsTheReaderInsteadOfHanging(@TempDir Path dir) {
        write(dir);
        try (LedgerScan scan = LedgerScan.open(dir)) {
            AtomicLong seen = new AtomicLong();
            assertThatThrownBy(() -> PipelinedReplay.feed(scan, null, null, true, row -> {
                if (seen.incrementAndGet() == 10) throw new IllegalStateException("boom");
            }, n -> { })).hasMessage("boom");
        }
    }
}
