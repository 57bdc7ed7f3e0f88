package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.tokens.TokenCounter;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;

/** Counts a request's prompt locally, for usage the provider did not report (a stream cut off). */
public final class PromptTokens {

    private PromptTokens() {
    }

    /**
     * The usage of a call counted locally, for an answer whose provider reported none the gateway can bill (absent,
     * or with negative counts): the request's prompt and {@code generated}, the text the answer carried.
     */
    public static Usage estimate(Exchange exchange, CharSequence generated) {
        TokenCounter counter = TokenCounter.forModel(exchange.route().model());
        return Usage.openAi(count(exchange.api(), exchange.body(), counter), 0, counter.count(generated.toString()), 0);
    }

    public static long count(Api api, JsonNode body, TokenCounter counter) {
        return switch (api) {
            case OPENAI_CHAT -> counter.countChat(body.get("messages")) + tools(body, counter);
            case ANTHROPIC_MESSAGES, ANTHROPIC_COUNT_TOKENS -> counter.countContent(body.get("system")) + counter.countChat(body.get("messages"))
                    + tools(body, counter);
            case OPENAI_COMPLETIONS -> counter.countContent(body.get("prompt"));
            case OPENAI_EMBEDDINGS -> counter.countContent(body.get("input"));
            case OPENAI_RESPONSES -> counter.countContent(body.get("instructions")) + responsesInput(body.get("input"), counter)
                    + tools(body, counter);
        };
    }

    private static long tools(JsonNode body, TokenCounter counter) {
        JsonNode tools = body.get("tools");
        return tools == null || tools.isNull() ? 0 : counter.count(tools.toString());
    }

    private static long responsesInput(JsonNode input, TokenCounter counter) {
        if (input == null || input.isTextual()) return counter.countContent(input);
        long total = 0;
        for (JsonNode item : input) {
            total += item.has("content") ? counter.countContent(item.get("content")) : counter.count(item.toString());
        }
        return total;
    }
}
