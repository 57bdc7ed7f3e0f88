package dev.tollgate.gateway.tier;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Api;

/**
 * Where each wire format asks for structured output: Chat Completions' {@code response_format}, Responses'
 * {@code text.format}, Anthropic's {@code output_config.format} (or its beta's {@code output_format}).
 */
final class StructuredOutput {

    private StructuredOutput() {
    }

    /** The request's output format object, or null when it asks for plain text. */
    static JsonNode format(Api api, JsonNode body) {
        JsonNode format = switch (api) {
            case OPENAI_CHAT -> body.get("response_format");
            case OPENAI_RESPONSES -> body.path("text").get("format");
            case ANTHROPIC_MESSAGES -> dev.tollgate.gateway.translate.StructuredOutput.anthropicFormat(body);
            default -> null;
        };
        if (format == null || !format.isObject()) return null;
        String type = format.path("type").asText("");
        return type.equals("json_schema") || type.equals("json_object") ? format : null;
    }

    /** Whether the request asks for JSON (with or without a schema). */
    static boolean requested(Api api, JsonNode body) {
        return format(api, body) != null;
    }

    /** The JSON schema the answer must satisfy, or null (none asked for, or only {@code json_object}). */
    static JsonNode schema(JsonNode format) {
        if (format == null || !format.path("type").asText("").equals("json_schema")) return null;
        JsonNode schema = format.has("json_schema") ? format.path("json_schema").get("schema") : format.get("schema");
        return schema != null && schema.isObject() ? schema : null;
    }
}
