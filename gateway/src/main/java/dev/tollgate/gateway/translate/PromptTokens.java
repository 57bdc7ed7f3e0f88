package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.tokens.ImageTokens;
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

    /**
     * The most input tokens a request can be billed for, as budgets reserve it: its text counted, and each image at
     * the most its model can bill one as ({@link ImageTokens}), as an image's size is not known before the call.
     */
    public static long worstCase(Api api, JsonNode body, TokenCounter counter, String model) {
        return count(api, body, counter) + imageAllowance(body, model);
    }

    /** The tokens the images of a request's prompt may be billed as at most: none where it has none. */
    public static long imageAllowance(JsonNode body, String model) {
        long images = images(body.get("messages")) + images(body.get("input")) + images(body.get("system"));
        return images == 0 ? 0 : images * ImageTokens.worstCase(model);
    }

    /** Image parts anywhere in a prompt's messages or input items (tool results included), in any of the formats. */
    private static long images(JsonNode node) {
        if (node == null || !node.isContainerNode()) return 0;
        if (node.isObject()) {
            String type = node.path("type").asText("");
            if (type.equals("image_url") || type.equals("input_image") || type.equals("image")) return 1;
        }
        long total = 0;
        for (JsonNode child : node) total += images(child);
        return total;
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
