package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The structured output a request asks for: Chat Completions' {@code response_format}, Responses'
 * {@code text.format}, Anthropic's {@code output_config.format} (or the beta's top-level {@code output_format}).
 *
 * @param schema the JSON schema the answer must be valid against, or null for any JSON object ({@code json_object})
 */
record OutputFormat(JsonNode schema) {

    /** Chat Completions: {@code {"type":"json_schema","json_schema":{"schema":…}}} or {@code {"type":"json_object"}}. */
    static OutputFormat chat(JsonNode body) {
        JsonNode format = body.path("response_format");
        return of(format, format.path("json_schema").get("schema"));
    }

    /** Responses: {@code text.format} = {@code {"type":"json_schema","name":…,"schema":…}} or json_object. */
    static OutputFormat responses(JsonNode body) {
        JsonNode format = body.path("text").path("format");
        return of(format, format.get("schema"));
    }

    /** Anthropic: {@code output_config.format} = {@code {"type":"json_schema","schema":…}}. */
    static OutputFormat anthropic(JsonNode body) {
        JsonNode format = body.path("output_config").path("format");
        if (format.isMissingNode()) format = body.path("output_format");
        return of(format, format.get("schema"));
    }

    /** The format, or null when the request asks for text. */
    private static OutputFormat of(JsonNode format, JsonNode schema) {
        return switch (format.path("type").asText("")) {
            case "json_schema" -> new OutputFormat(schema != null && schema.isObject() ? schema : null);
            case "json_object" -> new OutputFormat(null);
            default -> null;
        };
    }
}
