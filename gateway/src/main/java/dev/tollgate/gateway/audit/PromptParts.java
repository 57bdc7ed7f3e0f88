package dev.tollgate.gateway.audit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.store.PromptRecord;

import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a request body the prompt audit looks at, in one shape for every API: the system prompt, the
 * conversation as role and text, and the output cap. Images become {@code [image]}; tool calls and results are kept
 * by their JSON text. Unredacted: {@link PromptRecorder} redacts off the event loop.
 *
 * @param system    the system prompt, or null
 * @param messages  the conversation, oldest first
 * @param maxTokens the output cap the client set, or -1
 */
public record PromptParts(String system, List<PromptRecord.Message> messages, long maxTokens) {

    /** The parts of a body, or null for an API with no prompt to audit (embeddings, token counting). */
    public static PromptParts of(Api api, JsonNode body) {
        return switch (api) {
            case OPENAI_CHAT -> openAiChat(body);
            case ANTHROPIC_MESSAGES -> anthropic(body);
            case OPENAI_RESPONSES -> responses(body);
            case OPENAI_COMPLETIONS -> new PromptParts(null,
                    List.of(new PromptRecord.Message("user", text(body.get("prompt")))), cap(body, "max_tokens"));
            default -> null;
        };
    }

    private static PromptParts openAiChat(JsonNode body) {
        StringBuilder system = new StringBuilder();
        List<PromptRecord.Message> messages = new ArrayList<>();
        for (JsonNode m : body.path("messages")) {
            String role = m.path("role").asText("user");
            String content = text(m.get("content"));
            if (m.has("tool_calls")) content = content.isEmpty() ? m.get("tool_calls").toString() : content + "\n" + m.get("tool_calls");
            if (role.equals("system") || role.equals("developer")) {
                if (!system.isEmpty()) system.append("\n\n");
                system.append(content);
            } else {
                messages.add(new PromptRecord.Message(role, content));
            }
        }
        long cap = cap(body, "max_completion_tokens");
        return new PromptParts(system.isEmpty() ? null : system.toString(), messages, cap >= 0 ? cap : cap(body, "max_tokens"));
    }

    private static PromptParts anthropic(JsonNode body) {
        List<PromptRecord.Message> messages = new ArrayList<>();
        for (JsonNode m : body.path("messages")) messages.add(new PromptRecord.Message(m.path("role").asText("user"), text(m.get("content"))));
        String system = body.has("system") ? text(body.get("system")) : null;
        return new PromptParts(system == null || system.isEmpty() ? null : system, messages, cap(body, "max_tokens"));
    }

    private static PromptParts responses(JsonNode body) {
        List<PromptRecord.Message> messages = new ArrayList<>();
        JsonNode input = body.get("input");
        if (input != null && input.isTextual()) {
            messages.add(new PromptRecord.Message("user", input.asText()));
        } else if (input != null && input.isArray()) {
            for (JsonNode item : input) {
                if (item.has("role")) messages.add(new PromptRecord.Message(item.path("role").asText(), text(item.get("content"))));
                else messages.add(new PromptRecord.Message(item.path("type").asText("item"), item.toString()));
            }
        }
        String instructions = body.path("instructions").isTextual() ? body.get("instructions").asText() : null;
        return new PromptParts(instructions, messages, cap(body, "max_output_tokens"));
    }

    private static long cap(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v != null && v.canConvertToLong() ? v.asLong() : -1;
    }

    /** The text of a content value: a string, or text parts joined by newlines. */
    static String text(JsonNode content) {
        if (content == null || content.isNull()) return "";
        if (content.isTextual()) return content.asText();
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : content) {
                String piece;
                if (part.isTextual()) piece = part.asText();
                else if (part.path("text").isTextual()) piece = part.get("text").asText();
                else if (part.has("content")) piece = text(part.get("content"));
                else if (part.has("image_url") || "image".equals(part.path("type").asText()) || "input_image".equals(part.path("type").asText())) piece = "[image]";
                else piece = part.toString();
                if (!sb.isEmpty()) sb.append('\n');
                sb.append(piece);
            }
            return sb.toString();
        }
        return content.toString();
    }
}
