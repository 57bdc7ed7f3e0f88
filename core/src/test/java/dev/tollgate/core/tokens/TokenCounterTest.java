package dev.tollgate.core.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Expected counts come from OpenAI's cookbook "How to count tokens with tiktoken"
 * (examples/How_to_count_tokens_with_tiktoken.ipynb), which checks them against the API's prompt_tokens.
 */
class TokenCounterTest {

    /** The cookbook's example conversation, verbatim. */
    private static final String COOKBOOK_MESSAGES = """
            [
              {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
              {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
              {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
              {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
              {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
              {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."}
            ]
            """;

    private static JsonNode json(String text) throws Exception {
        return new ObjectMapper().readTree(text);
    }

    @ParameterizedTest
    @CsvSource({"gpt-3.5-turbo, 129", "gpt-4-0613, 129", "gpt-4, 129", "gpt-4o, 124", "gpt-4o-mini, 124"})
    void countsTheCookbookConversationLikeTheApi(String model, int promptTokens) throws Exception {
        assertThat(TokenCounter.forModel(model).countChat(json(COOKBOOK_MESSAGES))).isEqualTo(promptTokens);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-4", "gpt-4o"})
    void encodesPlainText(String model) {
        TokenCounter counter = TokenCounter.forModel(model);
        assertThat(counter.count("hello world")).isEqualTo(2);
        assertThat(counter.count("antidisestablishmentarianism")).isEqualTo(6);
        assertThat(counter.count("2 + 2 = 4")).isEqualTo(7);
        assertThat(counter.count("")).isZero();
        assertThat(counter.count(null)).isZero();
    }

    @Test
    void picksTheEncodingOfTheModelFamily() {
        // counts the cookbook gives per encoding: they differ between cl100k_base and o200k_base
        assertThat(TokenCounter.forModel("gpt-4").count("お誕生日おめでとう")).isEqualTo(9);
        assertThat(TokenCounter.forModel("gpt-3.5-turbo").count("お誕生日おめでとう")).isEqualTo(9);
        assertThat(TokenCounter.forModel("gpt-4o").count("お誕生日おめでとう")).isEqualTo(8);
        assertThat(TokenCounter.forModel("openai/gpt-4o-mini").count("お誕生日おめでとう")).isEqualTo(8);
        assertThat(TokenCounter.forModel("gpt-4o-mini").count("tiktoken is great!")).isEqualTo(6);
    }

    @Test
    void onlyOpenAiModelsAreCountedExactly() {
        assertThat(TokenCounter.forModel("gpt-4o").exact()).isTrue();
        assertThat(TokenCounter.forModel("openai/gpt-4.1-mini").exact()).isTrue();
        assertThat(TokenCounter.forModel("o3-mini").exact()).isTrue();
        assertThat(TokenCounter.forModel("text-embedding-3-small").exact()).isTrue();
        assertThat(TokenCounter.forModel("claude-sonnet-4-5").exact()).isFalse();
        assertThat(TokenCounter.forModel(null).exact()).isFalse();
    }

    @Test
    void chatOverheadIsThreePerMessageOnePerNameAndThreeToPrime() throws Exception {
        TokenCounter counter = TokenCounter.forModel("gpt-4o");
        assertThat(counter.countChat(json("[]"))).isEqualTo(3);
        int plain = counter.countChat(json("[{\"role\":\"user\",\"content\":\"hello world\"}]"));
        assertThat(plain).isEqualTo(3 + 3 + counter.count("user") + 2);
        int named = counter.countChat(json("[{\"role\":\"user\",\"name\":\"bob\",\"content\":\"hello world\"}]"));
        assertThat(named).isEqualTo(plain + counter.count("bob") + 1);
        int parts = counter.countChat(json("[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hello world\"}]}]"));
        assertThat(parts).isEqualTo(plain);
        assertThat(counter.countChat(null)).isZero();
    }
}
