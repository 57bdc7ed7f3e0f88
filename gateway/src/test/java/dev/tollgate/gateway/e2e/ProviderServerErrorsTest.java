package dev.tollgate.gateway.e2e;

import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.errors.InternalServerException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A provider's own server error reaches the official SDKs at its status and with its type when no other attempt is
 * left (issue 13): Anthropic's HTTP 529 {@code overloaded_error} as a 529 {@code overloaded_error}, OpenAI's 500
 * {@code server_error} as a 500 {@code server_error}, as the same errors sent in-band in a stream already were.
 * Before, both became a 502 {@code api_error}, so a client could not tell an overloaded provider from a broken one.
 */
class ProviderServerErrorsTest extends EndToEnd {

    private static MessageCreateParams claude(String model) {
        return MessageCreateParams.builder().model(model).maxTokens(16).addUserMessage("Say hi").build();
    }

    @Test
    void anthropicsOverloadedErrorReachesTheAnthropicSdkAsItself() {
        var error = catchThrowableOfType(AnthropicServiceException.class,
                () -> anthropic.messages().create(claude("overloaded-claude-529")));
        assertThat(error.statusCode()).isEqualTo(529);
        assertThat(error.body().toString()).contains("overloaded_error");

        var streamed = catchThrowableOfType(AnthropicServiceException.class, () -> {
            try (StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(claude("overloaded-claude-529"))) {
                stream.stream().forEach(event -> { });
            }
        });
        assertThat(streamed.statusCode()).isEqualTo(529);
        assertThat(streamed.body().toString()).contains("overloaded_error");
    }

    @Test
    void openAisServerErrorReachesTheOpenAiSdkAsItself() {
        var error = catchThrowableOfType(InternalServerException.class, () -> openai.chat().completions().create(
                ChatCompletionCreateParams.builder().model("broken-model").addUserMessage("Say hi").build()));
        assertThat(error.statusCode()).isEqualTo(500);
        assertThat(error.type()).hasValue("server_error");
        assertThat(error.getMessage()).contains("provider 'broken' answered HTTP 500");
    }

    @Test
    void theAnthropicSdkOnAnOpenAiModelGetsAnthropicsTypeForA500() {
        var error = catchThrowableOfType(AnthropicServiceException.class, () -> anthropic.messages().create(claude("broken-model")));
        assertThat(error.statusCode()).isEqualTo(500);
        assertThat(error.body().toString()).contains("api_error");
    }
}
