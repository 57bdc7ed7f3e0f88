package dev.tollgate.app;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.PromptRecord;
import dev.tollgate.store.duckdb.DuckDbLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code tollgate audit} with no gateway running: it reads the ledger file itself. */
class AuditCommandTest {

    @TempDir
    Path data;

    @Test
    void withNoGatewayTheLedgerFileIsAudited() throws Exception {
        Instant t0 = Instant.now().minusSeconds(600);
        // three requests of one template, each with a 2,000-token system prompt ("word " counts 1 token in o200k) and a short question
        String system = "Rules: " + "word ".repeat(2000).strip();
        try (DuckDbLedger ledger = DuckDbLedger.open(data)) {
            for (int i = 0; i < 3; i++) {
                String id = "req-" + i;
                ledger.append(new LedgerEntry(t0.plusSeconds(i), id, "k", Map.of("feature", "faq"), "openai.chat", "openai", "gpt-4o",
                        "gpt-4o", "gpt-4o", new Usage(2010, 0, 0, 0, 10, 0), new BigDecimal("0.005125"), "gpt-4o@2024-08-06",
                        200, null, 1000, -1, false, false));
                ledger.prompts().append(new PromptRecord(t0.plusSeconds(i), id, "k", Map.of("feature", "faq"), "openai.chat", "gpt-4o",
                        system, List.of(new PromptRecord.Message("user", "Question " + i)), 100, 2001, 0, 2, 1.0));
            }
        }
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            exit = Main.commandLine().execute("audit", "--url", "http://127.0.0.1:1", "--data", data.toString(), "--since", "1d");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(exit).isEqualTo(0);
        // halving 2,001 tokens at gpt-4o's $2.50 per million, three times, × 30 days: 3 × 1000.5 × 2.5e-6 × 30 = $0.2251125
        assertThat(out).contains("Prompt audit of 3 logged requests")
                .contains("big_system_prompt")
                .contains("a 2001-token system prompt carries 2-token questions")
                .contains("≈ $0.2251/month")
                .contains("feature=faq")
                .contains("Question <*>");
        List<String> lines = new ArrayList<>(out.lines().toList());
        assertThat(lines).anyMatch(l -> l.matches("\\s+feature=faq\\s+3\\s+99\\.9%\\s+0\\.0%\\s+0\\.1%"));
    }

    @Test
    void aBadSinceIsAUsageError() {
        assertThat(Main.commandLine().execute("audit", "--since", "soon", "--url", "http://127.0.0.1:1", "--data", data.toString())).isEqualTo(2);
    }
}
