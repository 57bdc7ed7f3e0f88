package dev.tollgate.gateway.e2e;

import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.MessageTokensCount;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Anthropic's count_tokens through the gateway, checked against the input tokens the provider then reports for the
 * same request: answered by an Anthropic provider itself, counted locally (and marked) for an OpenAI-format one.
 */
class CountTokensTest extends EndToEnd {

    @Test
    void anAnthropicProviderCountsForItself() throws Exception {
        assertCountMatchesBilledInput("claude-haiku-4-5", false);
    }

    @Test
    void otherProvidersAreCountedLocallyAsTheyWouldBill() throws Exception {
        assertCountMatchesBilledInput("gpt-4o-mini", true);
    }

    @Test
    void countingIsNotSpending() throws Exception {
        long before = bed.admin("/admin/spend").path("total").path("requests").asLong();
        anthropic.messages().countTokens(MessageCountTokensParams.builder().model("claude-haiku-4-5")
                .addUserMessage("free to count").build());
        assertThat(bed.admin("/admin/spend").path("total").path("requests").asLong()).isEqualTo(before);
    }

    private static void assertCountMatchesBilledInput(String model, boolean estimated) {
        String system = "You answer in one sentence.";
        String question = "How many tokens does this question use, counted the way the provider bills it?";
        HttpResponseFor<MessageTokensCount> counted = anthropic.messages().withRawResponse().countTokens(
                MessageCountTokensParams.builder().model(model).system(system).addUserMessage(question).build());
        long count = counted.parse().inputTokens();
        assertThat(counted.headers().values("x-tollgate-estimated")).isEqualTo(estimated ? java.util.List.of("true") : java.util.List.of());

        Message message = anthropic.messages().create(MessageCreateParams.builder().model(model).maxTokens(5)
                .system(system).addUserMessage(question).build());
        assertThat(count).isPositive().isEqualTo(message.usage().inputTokens());
    }
}
