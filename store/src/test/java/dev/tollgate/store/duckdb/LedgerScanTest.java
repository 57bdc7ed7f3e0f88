package dev.tollgate.store.duckdb;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LedgerScanTest {

    static final Instant T0 = Instant.parse("2026-11-01T23:00:00Z");

    static LedgerEntry entry(Instant at, String team, String model, String cost) {
        return new LedgerEntry(at, "req", "app", team == null ? Map.of() : Map.of("team", team), "openai.chat", "openai",
                model, model, model, new Usage(100, 10, 0, 0, 20, 0), new BigDecimal(cost), model + "@x", 200, null,
                1000, 500, false, false);
    }

    @Test
    void streamsRowsInTimeOrderAndTotalsDaysPerScope(@TempDir Path dir) {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            ledger.append(entry(T0.plusSeconds(7200), "search", "gpt-4o", "0.5"));   // Nov 2, 01:00
            ledger.append(entry(T0, "search", "gpt-4o", "0.25"));                    // Nov 1, 23:00
            ledger.append(entry(T0.plusSeconds(60), "ads", "gpt-4o-mini", "0.125"));
            ledger.append(entry(T0.plusSeconds(120), null, "gpt-4o-mini", "1"));
        }
        try (LedgerScan scan = LedgerScan.open(dir)) {
            List<LedgerScan.Row> rows = new ArrayList<>();
            scan.scan(null, null, rows::add);
            assertThat(rows).extracting(LedgerScan.Row::costUsd).usingElementComparator(BigDecimal::compareTo)
                    .containsExactly(new BigDecimal("0.25"), new BigDecimal("0.125"), new BigDecimal("1"), new BigDecimal("0.5"));
            assertThat(rows.getFirst().tags()).isEqualTo("{\"team\":\"search\"}");
            assertThat(rows.getFirst().inputTokens()).isEqualTo(100);
            assertThat(rows.getFirst().cachedInputTokens()).isEqualTo(10);
            assertThat(scan.count(T0.plusSeconds(30), T0.plusSeconds(3600))).isEqualTo(2);

            assertThat(scan.dailySpend(null, null, "team")).containsExactly(
                    new LedgerScan.DaySpend(LocalDate.of(2026, 11, 1), "(none)", new BigDecimal("1"), 1),
                    new LedgerScan.DaySpend(LocalDate.of(2026, 11, 1), "ads", new BigDecimal("0.125"), 1),
                    new LedgerScan.DaySpend(LocalDate.of(2026, 11, 1), "search", new BigDecimal("0.25"), 1),
                    new LedgerScan.DaySpend(LocalDate.of(2026, 11, 2), "search", new BigDecimal("0.5"), 1));
            assertThat(scan.dailySpend(null, null, null)).extracting(LedgerScan.DaySpend::costUsd)
                    .containsExactly(new BigDecimal("1.375"), new BigDecimal("0.5"));
            // three rows in the 23:00 hour, one at 01:00; each 100 in, 20 out
            assertThat(scan.hourlyTokens(null, null, "openai")).containsExactly(
                    new LedgerScan.HourTokens(T0, 3, 300, 60),
                    new LedgerScan.HourTokens(T0.plusSeconds(7200), 1, 100, 20));
            assertThat(scan.hourlyTokens(null, null, "local")).isEmpty();
        }
    }

    @Test
    void scansARangeThroughTheConnectionOfTheLedgerThatHoldsTheFile(@TempDir Path dir) throws Exception {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            ledger.append(entry(T0, "search", "gpt-4o", "0.25"));                    // Nov 1, 23:00
            ledger.append(entry(T0.plusSeconds(60), "ads", "gpt-4o-mini", "0.125")); // Nov 1, 23:01
            ledger.append(entry(T0.plusSeconds(7200), "search", "gpt-4o", "0.5"));   // Nov 2, 01:00
            ledger.flush();
            // while this process holds the file for writing, the scan goes through the ledger's own database
            List<BigDecimal> from = ledger.scan(scan -> {
                List<BigDecimal> costs = new ArrayList<>();
                scan.scan(T0.plusSeconds(30), null, row -> costs.add(row.costUsd()));
                return costs;
            });
            assertThat(from).usingElementComparator(BigDecimal::compareTo).containsExactly(new BigDecimal("0.125"), new BigDecimal("0.5"));
            List<BigDecimal> to = ledger.scan(scan -> {
                List<BigDecimal> costs = new ArrayList<>();
                scan.scan(null, T0.plusSeconds(60), row -> costs.add(row.costUsd()));
                return costs;
            });
            assertThat(to).usingElementComparator(BigDecimal::compareTo).containsExactly(new BigDecimal("0.25"));
            List<BigDecimal> both = ledger.scan(scan -> {
                List<BigDecimal> costs = new ArrayList<>();
                scan.scan(T0.plusSeconds(30), T0.plusSeconds(3600), false, row -> costs.add(row.costUsd()));
                return costs;
            });
            assertThat(both).usingElementComparator(BigDecimal::compareTo).containsExactly(new BigDecimal("0.125"));
        }
    }

    @Test
    void aLedgerHeldByAnotherProcessGetsAMessageNotALockError(@TempDir Path dir) throws Exception {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            ledger.append(entry(T0, "search", "gpt-4o", "0.5"));
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process holder = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                LedgerHolder.class.getName(), dir.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream()));
            for (String line; (line = out.readLine()) != null && !line.equals("holding"); ) {
                // the child's log lines
            }
            assertThatThrownBy(() -> LedgerScan.open(dir))
                    .isInstanceOf(LedgerScan.LedgerBusyException.class)
                    .hasMessageContaining("running Tollgate gateway")
                    .hasMessageNotContaining("IO Error");
        } finally {
            holder.destroy();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aMissingLedgerIsNamed(@TempDir Path dir) {
        assertThatThrownBy(() -> LedgerScan.open(dir)).hasMessageContaining("no ledger at");
    }

    /** Holds a ledger open in its own process, as a running gateway does. */
    public static final class LedgerHolder {
        public static void main(String[] args) throws Exception {
            try (DuckDbLedger ignored = DuckDbLedger.open(Path.of(args[0]))) {
                System.out.println("holding");
                System.out.flush();
                Thread.sleep(60_000);
            }
        }
    }
}
