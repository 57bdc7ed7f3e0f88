package dev.tollgate.app;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.Json;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class TokensCommandTest {

    static final Instant NOW = Instant.parse("2026-11-01T00:00:00Z");

    @Test
    void openAiChatIsCountedLikeOpenAiBillsIt() throws Exception {
        // "hello world" is 2 tokens in o200k_base; each message adds 3, the role "user" 1, and the reply is primed with 3
        var request = Json.parse("{\"model\":\"gpt-4o-mini\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}]}");
        var e = TokensCommand.Estimate.of(request, "gpt-4o-mini", null, PriceCatalog.bundled(), NOW);
        assertThat(e.inputTokens()).isEqualTo(3 + 1 + 2 + 3);
        assertThat(e.exact()).isTrue();
        assertThat(e.maxOutputTokens()).isEqualTo(100);
        // gpt-4o-mini: $0.15 in, $0.60 out per million
        assertThat(e.worstCaseUsd()).isEqualByComparingTo(new BigDecimal("9").multiply(new BigDecimal("0.15"))
                .add(new BigDecimal("100").multiply(new BigDecimal("0.60"))).movePointLeft(6));
    }

    @Test
    void aRequestWithoutACapIsCountedWithTheCapTheGatewayReservesAndSends() throws Exception {
        var request = Json.parse("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}]}");
        var e = TokensCommand.Estimate.of(request, "gpt-4o-mini", null, PriceCatalog.bundled(), NOW);
        assertThat(e.maxOutputTokens()).isEqualTo(4096);
        assertThat(e.defaulted()).isTrue();
        assertThat(e.worstCaseUsd()).isEqualByComparingTo(new BigDecimal("9").multiply(new BigDecimal("0.15"))
                .add(new BigDecimal("4096").multiply(new BigDecimal("0.60"))).movePointLeft(6));
        // a configured default_max_output_tokens, and two answers (n) each up to it
        var two = Json.parse("{\"model\":\"gpt-4o-mini\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}]}");
        assertThat(TokensCommand.Estimate.of(two, "gpt-4o-mini", null, 100, PriceCatalog.bundled(), NOW).maxOutputTokens()).isEqualTo(200);
    }

    @Test
    void anOverrideOfTheOutputCapAndAnUnpricedModel() throws Exception {
        var request = Json.parse("{\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}]}");
        var e = TokensCommand.Estimate.of(request, "my-local-llama", 50L, PriceCatalog.bundled(), NOW);
        assertThat(e.exact()).isFalse();
        assertThat(e.maxOutputTokens()).isEqualTo(50);
        assertThat(e.price()).isNull();
        assertThat(e.worstCaseUsd()).isNull();
    }
}
