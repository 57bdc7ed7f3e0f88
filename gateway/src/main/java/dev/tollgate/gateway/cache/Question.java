package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Api;

/**
 * The question a request asks, for the near-duplicate cache: the text of its last message when that is the user's
 * plain text, and the request with that text blanked, which is the context a near duplicate must share exactly
 * (deployment, parameters, system prompt, earlier turns).
 *
 * @param text    the question
 * @param context the request body with the question's text replaced by ""
 */
public record Question(String text, ObjectNode context) {

    /** The question of a Chat Completions, Messages or Responses request, or null when it has none in plain text. */
    static Question of(Api api, ObjectNode body) {
        return switch (api) {
            case OPENAI_CHAT, ANTHROPIC_MESSAGES -> lastUserMessage(body, "messages");
            case OPENAI_RESPONSES -> body.path("input").isTextual()
                    ? new Question(body.get("input").asText(), body.deepCopy().put("input", ""))
                    : lastUserMessage(body, "input");
            default -> null;
        };
    }

    private static Question lastUserMessage(ObjectNode body, String field) {
        String text = lastUserText(body, field);
        if (text == null) return null;
        ObjectNode context = body.deepCopy();
        ArrayNode copied = (ArrayNode) context.get(field);
        ((ObjectNode) copied.get(copied.size() - 1)).put("content", "");
        return new Question(text, context);
    }

    /**
     * The question's text alone (no copy of the body): the last message's when it is the user's plain text, else
     * null. The tier classifier embeds the same text the near-duplicate cache does.
     */
    public static String textOf(Api api, ObjectNode body) {
        return switch (api) {
            case OPENAI_CHAT, ANTHROPIC_MESSAGES -> lastUserText(body, "messages");
            case OPENAI_RESPONSES -> body.path("input").isTextual() ? body.get("input").asText() : lastUserText(body, "input");
            default -> null;
        };
    }

    private static String lastUserText(ObjectNode body, String field) {
        JsonNode messages = body.get(field);
        if (messages == null || !messages.isArray() || messages.isEmpty()) return null;
        JsonNode last = messages.get(messages.size() - 1);
        if (!"user".equals(last.path("role").asText())) return null;
        JsonNode content = last.get("content");
        String text;
        if (content != null && content.isTextual()) {
            text = content.asText();
        } else if (content != null && content.isArray() && content.size() == 1
                && content.get(0).path("text").isTextual() && content.get(0).size() == 2 && content.get(0).has("type")) {
            text = content.get(0).get("text").asText(); // one text block, OpenAI's or Anthropic's shape
        } else {
            return null;
        }
        return text.isBlank() ? null : text;
    }
}
