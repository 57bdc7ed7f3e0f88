package dev.tollgate.store.duckdb;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.AuditedPrompt;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.PromptRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DuckDbPromptLogTest {

    private static final Instant T0 = Instant.parse("2026-11-20T08:00:00Z");

    @TempDir
    Path dir;

    static LedgerEntry request(String id, Instant time, int status, String cost) {
        return new LedgerEntry(time, id, "support-key", Map.of("feature", "support"), "openai.chat", "openai", "gpt-4o-mini",
                "gpt-4o-mini", "gpt-4o-mini-2024-07-18", new Usage(900, 100, 0, 0, 40, 0), new BigDecimal(cost),
                "gpt-4o-mini@2024-07-18", status, status >= 400 ? "failed" : null, 1000, -1, false, false);
    }

    static PromptRecord prompt(String id, Instant time, long maxTokens) {
        return new PromptRecord(time, id, "support-key", Map.of("feature", "support"), "openai.chat", "gpt-4o-mini",
                "You are a helpful \"support\" agent.", List.of(new PromptRecord.Message("user", "Where is my order?"),
                new PromptRecord.Message("assistant", "It ships today."), new PromptRecord.Message("user", "Thanks!\nBye")),
                maxTokens, 800, 12, 4, 0.5);
    }

    @Test
    void promptsAreStoredAndJoinedWithTheirLedgerRows() {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            ledger.append(request("r1", T0, 200, "0.000159"));
            ledger.append(request("r2", T0.plusSeconds(60), 502, "0"));
            ledger.append(request("r3", T0.plusSeconds(120), 200, "0.0001"));
            ledger.prompts().append(prompt("r1", T0, 256));
            ledger.prompts().append(prompt("r2", T0.plusSeconds(60), -1));
            ledger.prompts().append(prompt("r3", T0.plusSeconds(120), -1));
            ledger.prompts().append(prompt("never-metered", T0.plusSeconds(130), -1));
            ledger.flush();
            ledger.prompts().flush();

            List<AuditedPrompt> all = ledger.prompts().audited(null, null, 100);
            // failed requests and prompts without a ledger row are left out
            assertThat(all).extracting(a -> a.prompt().requestId()).containsExactly("r1", "r3");
            AuditedPrompt first = all.get(0);
            assertThat(first.prompt()).isEqualTo(prompt("r1", T0, 256));
            assertThat(first.pricedModel()).isEqualTo("gpt-4o-mini");
            assertThat(first.usage()).isEqualTo(new Usage(900, 100, 0, 0, 40, 0));
            assertThat(first.costUsd()).isEqualByComparingTo("0.000159");
            assertThat(all.get(1).prompt().maxTokens()).isEqualTo(-1);

            assertThat(ledger.prompts().audited(T0.plusSeconds(1), null, 100)).extracting(a -> a.prompt().requestId()).containsExactly("r3");
            assertThat(ledger.prompts().audited(null, T0.plusSeconds(120), 100)).extracting(a -> a.prompt().requestId()).containsExactly("r1");
            // the limit keeps the newest
            assertThat(ledger.prompts().audited(null, null, 1)).extracting(a -> a.prompt().requestId()).containsExactly("r3");
        }
        // written prompts survive a restart
        try (DuckDbLedger again = DuckDbLedger.open(dir)) {
            assertThat(again.prompts().audited(null, null, 100)).hasSize(2);
        }
    }
}
