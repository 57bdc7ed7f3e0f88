package dev.tollgate.gateway.audit;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.AuditedPrompt;
import dev.tollgate.store.PromptRecord;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** How observed savings become monthly ones: scaled by the sample rate, extrapolated over the period covered. */
class PromptAuditExtrapolationTest {

    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    static AuditedPrompt row(Instant time, long output, double sampleRate) {
        PromptRecord p = new PromptRecord(time, "r-" + time.toEpochMilli(), "k", Map.of("feature", "digest"), "openai.chat",
                "gpt-4o-mini", null, List.of(new PromptRecord.Message("user", "Digest of the day")), -1, 0, 0, 4, sampleRate);
        return new AuditedPrompt(p, "gpt-4o-mini", new Usage(10, 0, 0, 0, output, 0), BigDecimal.ZERO, 200);
    }

    @Test
    void savingsAreScaledBySampleRateAndExtrapolatedFromTheCoveredPeriod() {
        // ten requests over ten days, half of all requests logged; nine answers of 10 tokens, one of 110
        List<AuditedPrompt> rows = new ArrayList<>();
        for (int i = 0; i < 10; i++) rows.add(row(T0.plus(Duration.ofHours(24L * i + (i == 9 ? 24 : 0))), i == 4 ? 110 : 10, 0.5));
        PromptAudit.Report report = new PromptAudit(PriceCatalog.bundled(), "feature").run(rows);
        assertThat(report.from()).isEqualTo(T0);
        assertThat(report.to()).isEqualTo(T0.plus(Duration.ofDays(10)));
        assertThat(report.monthFactor()).isEqualByComparingTo("3"); // 30 days / 10 days
        PromptAudit.Finding f = report.findings().get(0);
        assertThat(f.type()).isEqualTo("oversized_output");
        assertThat(f.evidence()).containsEntry("p90_output_tokens", 10L);
        // 100 tokens beyond the 90th percentile at gpt-4o-mini's $0.60 per million, each logged request standing for two
        BigDecimal observed = new BigDecimal("100").multiply(new BigDecimal("0.60")).movePointLeft(6).multiply(BigDecimal.TWO);
        assertThat(f.observedSavingUsd()).isEqualByComparingTo(observed);
        assertThat(f.monthlySavingUsd()).isEqualByComparingTo(observed.multiply(BigDecimal.valueOf(3)));
        assertThat(f.tokenReductionPct()).isEqualTo(Math.round(1000.0 * 100 / 200) / 10.0);
        assertThat(f.recommendation()).startsWith("set max_tokens to 10 on feature=digest with gpt-4o-mini");
    }

    @Test
    void nothingLoggedIsAnEmptyReport() {
        PromptAudit.Report report = new PromptAudit(PriceCatalog.bundled(), "feature").run(List.of());
        assertThat(report.requests()).isZero();
        assertThat(report.findings()).isEmpty();
        assertThat(AuditJson.of(report).path("monthly_saving_usd").decimalValue()).isEqualByComparingTo("0");
    }
}
