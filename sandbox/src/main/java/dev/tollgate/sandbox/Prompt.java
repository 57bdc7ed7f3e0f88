package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;

/** The prompt a simulated answer is decided by: the text of the request's last user message, in any of the APIs. */
final class Prompt {

    private Prompt() {
    }

    /**
     * The text of the last user message: Chat Completions and Anthropic {@code messages}, or Responses {@code input}
     * (a string, or items). A message's text parts are joined with newlines; "" when there is none.
     */
    static String lastUserText(JsonNode body) {
        JsonNode input = body.get("input");
        if (input != null && input.isTextual()) return input.asText();
        JsonNode items = input != null && input.isArray() ? input : body.path("messages");
        for (int i = items.size() - 1; i >= 0; i--) {
            JsonNode item = items.get(i);
            if ("user".equals(item.path("role").asText())) return text(item.get("content"));
        }
        return "";
    }

    private static String text(JsonNode content) {
        if (content == null) return "";
        if (content.isTextual()) return content.asText();
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            JsonNode t = part.get("text");
            if (t == null || !t.isTextual()) continue;
            if (!text.isEmpty()) text.append('\n');
            text.append(t.asText());
        }
        return text.toString();
    }
}
