package dev.tollgate.core.usage;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The factories follow shared/reference/provider-usage.md. */
class UsageTest {

    @Test
    void openAiPromptTokensIncludeCachedAndCompletionIncludesReasoning() {
        // usage.prompt_tokens 1000, prompt_tokens_details.cached_tokens 400,
        // usage.completion_tokens 500, completion_tokens_details.reasoning_tokens 200
        Usage u = Usage.openAi(1000, 400, 500, 200);
        assertThat(u.inputTokens()).isEqualTo(1000);
        assertThat(u.cachedInputTokens()).isEqualTo(400);
        assertThat(u.uncachedInputTokens()).isEqualTo(600);
        assertThat(u.cacheWriteTokens()).isZero();
        assertThat(u.outputTokens()).isEqualTo(500);
        assertThat(u.reasoningTokens()).isEqualTo(200);
        assertThat(u.totalTokens()).isEqualTo(1500);
    }

    @Test
    void openAiSubsetsCannotExceedTheirTotals() {
        Usage u = Usage.openAi(100, 400, 50, 80);
        assertThat(u.cachedInputTokens()).isEqualTo(100);
        assertThat(u.reasoningTokens()).isEqualTo(50);
        assertThat(u.uncachedInputTokens()).isZero();
    }

    @Test
    void anthropicCacheTokensComeOnTopOfInputTokens() {
        // usage.input_tokens 100, cache_read_input_tokens 2000,
        // cache_creation.ephemeral_5m_input_tokens 1000, ephemeral_1h_input_tokens 500, output_tokens 300
        Usage u = Usage.anthropic(100, 2000, 1000, 500, 300);
        assertThat(u.inputTokens()).isEqualTo(3600);
        assertThat(u.cachedInputTokens()).isEqualTo(2000);
        assertThat(u.cacheWrite5mTokens()).isEqualTo(1000);
        assertThat(u.cacheWrite1hTokens()).isEqualTo(500);
        assertThat(u.cacheWriteTokens()).isEqualTo(1500);
        assertThat(u.uncachedInputTokens()).isEqualTo(100);
        assertThat(u.anthropicInputTokens()).isEqualTo(100);
        assertThat(u.outputTokens()).isEqualTo(300);
        assertThat(u.reasoningTokens()).isZero();
        assertThat(u.totalTokens()).isEqualTo(3900);
    }

    @Test
    void negativeCountsAreRejected() {
        assertThatThrownBy(() -> Usage.openAi(-1, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Usage.anthropic(0, 0, 0, 0, -5)).isInstanceOf(IllegalArgumentException.class);
    }
}
