package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.translate.Translation.UntranslatableException;

/** Message content between OpenAI's parts ({@code text}, {@code image_url}) and Anthropic's blocks. */
final class ContentBlocks {

    private ContentBlocks() {
    }

    /** The text of a content value, whichever format: a string, or the text parts/blocks joined. */
    static String plainText(JsonNode content) {
        if (content == null || content.isNull()) return "";
        if (content.isTextual()) return content.asText();
        StringBuilder out = new StringBuilder();
        for (JsonNode part : content) {
            if (part.isTextual()) out.append(part.asText());
            else if (part.has("text")) out.append(part.get("text").asText());
        }
        return out.toString();
    }

    /** OpenAI content (string or parts) as Anthropic content blocks. */
    static ArrayNode toAnthropic(JsonNode content) {
        ArrayNode blocks = Json.array();
        if (content == null || content.isNull()) return blocks;
        if (content.isTextual()) {
            if (!content.asText().isEmpty()) blocks.addObject().put("type", "text").put("text", content.asText());
            return blocks;
        }
        for (JsonNode part : content) {
            String type = part.path("type").asText();
            switch (type) {
                case "text" -> blocks.addObject().put("type", "text").put("text", part.path("text").asText());
                case "image_url" -> blocks.add(image(part.path("image_url").path("url").asText(), "messages"));
                default -> throw new UntranslatableException("messages", "content part type '" + type + "' cannot be sent to an Anthropic model");
            }
        }
        return blocks;
    }

    /** An image URL (http or base64 data) as an Anthropic image block; {@code param} names the field on refusal. */
    static ObjectNode image(String url, String param) {
        ObjectNode block = Json.object().put("type", "image");
        ObjectNode source = block.putObject("source");
        if (url.startsWith("data:")) {
            int semi = url.indexOf(';');
            int comma = url.indexOf(',');
            if (semi < 0 || comma < 0) throw new UntranslatableException(param, "image data URL is not base64");
            source.put("type", "base64").put("media_type", url.substring(5, semi)).put("data", url.substring(comma + 1));
        } else {
            source.put("type", "url").put("url", url);
        }
        return block;
    }

    /** Anthropic text and image blocks as OpenAI content parts; a lone text block becomes a plain string. */
    static JsonNode toOpenAi(JsonNode content) {
        if (content == null || content.isNull() || content.isTextual()) return content;
        ArrayNode parts = Json.array();
        for (JsonNode block : content) {
            switch (block.path("type").asText()) {
                case "text" -> parts.addObject().put("type", "text").put("text", block.path("text").asText());
                case "image" -> {
                    JsonNode src = block.path("source");
                    String url = src.path("type").asText().equals("base64")
                            ? "data:" + src.path("media_type").asText() + ";base64," + src.path("data").asText()
                            : src.path("url").asText();
                    parts.addObject().put("type", "image_url").putObject("image_url").put("url", url);
                }
                case "thinking", "redacted_thinking" -> { }
                default -> throw new UntranslatableException("messages", "content block type '" + block.path("type").asText()
                        + "' cannot be sent to an OpenAI-format model");
            }
        }
        if (parts.size() == 1 && parts.get(0).path("type").asText().equals("text")) return parts.get(0).get("text");
        return parts;
    }
}
