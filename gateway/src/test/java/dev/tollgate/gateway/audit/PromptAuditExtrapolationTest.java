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
    void tokensTheProviderReadFromItsPromptCacheAreSavedAtTheCachedRate() {
        // a 2,000-token system prompt on a 3-token question; the provider read 1,536 prompt tokens from its cache
        PromptRecord p = new PromptRecord(T0, "r1", "k", Map.of("feature", "faq"), "openai.chat", "gpt-4o-mini", "policy",
                List.of(new PromptRecord.Message("user", "Can I?")), -1, 2000, 0, 3, 1.0);
        AuditedPrompt row = new AuditedPrompt(p, "gpt-4o-mini", new Usage(2010, 1536, 0, 0, 5, 0), BigDecimal.ZERO, 200);
        PromptAudit.Finding f = new PromptAudit(PriceCatalog.bundled(), "feature").run(List.of(row)).findings().stream()
                .filter(x -> x.type().equals("big_system_prompt")).findFirst().orElseThrow();
        // halving removes the first 1,000 tokens, all within the cached 1,536: gpt-4o-mini's cached input is $0.075 per million
        BigDecimal observed = new BigDecimal("1000").multiply(new BigDecimal("0.075")).movePointLeft(6);
        assertThat(f.observedSavingUsd()).isEqualByComparingTo(observed);
        assertThat(f.monthlySavingUsd()).isEqualByComparingTo(observed.multiply(BigDecimal.valueOf(30)));
    }

    @Test
    void nothingLoggedIsAnEmptyReport() {
        PromptAudit.Report report = new PromptAudit(PriceCatalog.bundled(), "feature").run(List.of());
        assertThat(report.requests()).isZero();
        assertThat(report.findings()).isEmpty();
        assertThat(AuditJson.of(report).path("monthly_saving_usd").decimalValue()).isEqualByComparingTo("0");
    }
}
