package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;

/**
 * A request for JSON against a schema, carried across wire formats: OpenAI's {@code response_format} (Chat
 * Completions) and {@code text.format} (Responses) of type {@code json_schema}, and Anthropic's
 * {@code output_config.format} of type {@code json_schema} (or, as its structured-outputs beta spelled it, a top-level
 * {@code output_format}). Both providers constrain the answer to the schema; OpenAI's {@code json_object} mode has no
 * Anthropic counterpart and stays refused.
 */
public final class StructuredOutput {

    private StructuredOutput() {
    }

    /** Anthropic's {@code output_config} for a JSON schema (the schema node of either OpenAI form). */
    static ObjectNode anthropicOutputConfig(JsonNode schema) {
        ObjectNode config = Json.object();
        config.putObject("format").put("type", "json_schema").set("schema", schema);
        return config;
    }

    /**
     * The output format an Anthropic Messages request asks for: {@code output_config.format}, else the beta's top-level
     * {@code output_format} (the same object); a missing node when it asks for none.
     */
    public static JsonNode anthropicFormat(JsonNode messagesRequest) {
        JsonNode format = messagesRequest.path("output_config").path("format");
        return format.isMissingNode() ? messagesRequest.path("output_format") : format;
    }

    /**
     * OpenAI's {@code response_format} for the output format of an Anthropic request ({@link #anthropicFormat}), or
     * null when it asks for none. Not strict: OpenAI's strict mode needs every property required, which an Anthropic
     * schema need not say.
     */
    static ObjectNode openAiResponseFormat(JsonNode messagesRequest) {
        JsonNode format = anthropicFormat(messagesRequest);
        if (!"json_schema".equals(format.path("type").asText())) return null;
        ObjectNode responseFormat = Json.object().put("type", "json_schema");
        responseFormat.putObject("json_schema").put("name", "output").set("schema", format.path("schema"));
        return responseFormat;
    }
}
