package dev.tollgate.store.duckdb;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Looking up one request's row by its id (the dashboard's drill-down). */
class LedgerFindTest {

    @TempDir
    Path dir;

    private static LedgerEntry row(String id, Instant time, String cost) {
        return new LedgerEntry(time, id, "key-a", Map.of("team", "search"), "openai.chat", "openai", "fast",
                "gpt-4o-mini", "gpt-4o-mini-2024-07-18", new Usage(120, 20, 0, 0, 30, 0), new BigDecimal(cost),
                "gpt-4o-mini@2024-07-18", 200, null, 5_000, 900, true, false);
    }

    @Test
    void findsTheRowOfOneRequestAmongOthers() {
        Instant t = Instant.parse("2026-11-20T08:00:00.000001Z");
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            for (int i = 0; i < 50; i++) ledger.append(row("req-" + i, t.plusSeconds(i), "0.0000" + (i + 10)));
            ledger.flush();

            LedgerEntry found = ledger.find("req-17").orElseThrow();
            assertThat(found).isEqualTo(row("req-17", t.plusSeconds(17), "0.000027"));
            assertThat(ledger.find("req-50")).isEmpty();
            assertThat(ledger.find("' OR 1=1 --")).isEmpty();
            assertThat(ledger.find(null)).isEmpty();
        }
    }
}
