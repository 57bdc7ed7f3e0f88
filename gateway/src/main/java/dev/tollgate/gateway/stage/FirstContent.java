package dev.tollgate.gateway.stage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.gateway.sse.SseEvent;

/**
 * Reads the opening events of a provider's stream, before its first content: an event is {@link #OPENING} (held back),
 * {@link #CONTENT} (the answer has begun: release what was held), or an {@link AttemptFailure} (the provider refused
 * after all: an in-band error such as Anthropic's {@code overloaded_error} after {@code message_start}, or an event that
 * cannot be read). Only events before the first content are read here, so the cost is a parse or two per stream.
 */
final class FirstContent {

    static final Object OPENING = new Object();
    static final Object CONTENT = new Object();

    private FirstContent() {
    }

    /** {@code dialect} and {@code api}: what the provider speaks and which of its APIs was called. */
    static Object classify(WireFormat dialect, Api api, String provider, SseEvent event) {
        String type = event.event();
        String data = event.data();
        if (data == null) return OPENING; // a comment or keep-alive
        if (dialect == WireFormat.ANTHROPIC) {
            if (type == null || type.equals("error") || type.equals("message_start")) {
                JsonNode json = Json.parseOrNull(data);
                if (json == null || !json.isObject()) return malformed(provider, type);
                if (json.path("type").asText("").equals("error")) return inBand(provider, json.path("error"), true);
                return OPENING;
            }
            return switch (type) {
                case "ping", "content_block_start" -> OPENING;
                case "content_block_delta" -> emptyText(data) ? OPENING : CONTENT;
                default -> CONTENT;
            };
        }
        if (api == Api.OPENAI_RESPONSES) {
            if (type == null) type = "";
            switch (type) {
                case "response.in_progress", "response.queued", "response.output_item.added", "response.content_part.added" -> {
                    return OPENING;
                }
                case "response.created", "error", "response.failed", "" -> {
                    JsonNode json = Json.parseOrNull(data);
                    if (json == null || !json.isObject()) return malformed(provider, type);
                    String inner = json.path("type").asText(type);
                    if (inner.equals("error")) return inBand(provider, json.has("error") ? json.get("error") : json, false);
                    if (inner.equals("response.failed")) return inBand(provider, json.path("response").path("error"), false);
                    return inner.equals("response.created") || inner.equals("response.in_progress") ? OPENING : CONTENT;
                }
                default -> {
                    return CONTENT;
                }
            }
        }
        if (data.equals("[DONE]")) return CONTENT;
        if (type == null && startsText(data)) return CONTENT; // the usual first delta, without a parse
        JsonNode json = Json.parseOrNull(data);
        if (json == null || !json.isObject()) return malformed(provider, type);
        if (json.has("error") || "error".equals(type)) return inBand(provider, json.has("error") ? json.get("error") : json, false);
        if (json.path("usage").isObject()) return CONTENT;
        for (JsonNode choice : json.path("choices")) {
            if (!choice.path("finish_reason").isNull() && !choice.path("finish_reason").isMissingNode()) return CONTENT;
            JsonNode delta = choice.path("delta");
            if (!delta.path("content").asText("").isEmpty() || delta.has("tool_calls") || delta.has("function_call")
                    || !delta.path("refusal").asText("").isEmpty() || !choice.path("text").asText("").isEmpty()) {
                return CONTENT;
            }
        }
        return OPENING;
    }

    /**
     * An Anthropic text delta without text, which some compatible servers send first: not yet content, as OpenAI's
     * empty first chunk is not (parsed only when its bytes may say so).
     */
    private static boolean emptyText(String data) {
        if (!data.contains("\"text\":\"\"")) return false;
        JsonNode delta = Json.tree(data).path("delta");
        return delta.path("type").asText().equals("text_delta") && delta.path("text").asText("").isEmpty();
    }

    private static final String TEXT = "\"delta\":{\"content\":\"";

    /** A chunk whose delta begins with non-empty text, as OpenAI and compatible servers write it. */
    private static boolean startsText(String data) {
        int i = data.indexOf(TEXT);
        return i >= 0 && i + TEXT.length() < data.length() && data.charAt(i + TEXT.length()) != '"' && !data.contains("\"error\"");
    }

    private static AttemptFailure malformed(String provider, String type) {
        return AttemptFailure.unwell("stream_malformed", GatewayError.upstream(502, "provider '" + provider
                + "' opened its stream with an event the gateway could not read" + (type == null ? "" : " (" + type + ")")));
    }

    /**
     * After the first content: the provider's own in-band error, if {@code event} is one (Anthropic's {@code event:
     * error}, an OpenAI {@code error} chunk, Responses' {@code error} or {@code response.failed}), else null. The
     * relay has already translated it for the client, so the stream ends with it (see {@link GatewayError#inStream}).
     * Only an event that may be an error is parsed.
     */
    static GatewayError midStreamError(WireFormat dialect, Api api, String provider, SseEvent event) {
        String type = event.event();
        String data = event.data();
        if (data == null) return null;
        boolean anthropic = dialect == WireFormat.ANTHROPIC;
        boolean maybe = anthropic || api == Api.OPENAI_RESPONSES
                ? "error".equals(type) || "response.failed".equals(type)
                : "error".equals(type) || data.contains("\"error\"");
        if (!maybe) return null;
        JsonNode json = Json.parseOrNull(data);
        if (json == null || !json.isObject()) return null;
        JsonNode error;
        if (json.path("type").asText("").equals("response.failed")) error = json.path("response").path("error");
        else if (json.path("error").isObject()) error = json.get("error");
        else if (json.path("type").asText("").equals("error")) error = json; // Responses' error event
        else return null;
        return providerError(error, anthropic, "provider '" + provider + "' failed during its stream: ");
    }

    /** The provider's own error, with the type SDKs decide retries on, at the status its type stands for. */
    private static AttemptFailure inBand(String provider, JsonNode error, boolean anthropic) {
        GatewayError relayed = providerError(error, anthropic, "provider '" + provider + "' refused the request before its first content: ");
        int status = relayed.status();
        return new AttemptFailure("stream_error", relayed, status == 429 || status >= 500, status == 429 || status >= 500, 0);
    }

    private static GatewayError providerError(JsonNode error, boolean anthropic, String prefix) {
        String type = error.path("type").asText(null);
        if (type == null || type.equals("error")) type = error.path("code").asText("server_error"); // Responses' error event
        String message = error.path("message").asText("(no message)");
        int status = switch (type) {
            case "overloaded_error" -> 529;
            case "rate_limit_error", "rate_limit_exceeded" -> 429;
            case "timeout_error" -> 504;
            case "invalid_request_error" -> 400;
            case "authentication_error" -> 401;
            case "permission_error" -> 403;
            case "not_found_error" -> 404;
            case "request_too_large" -> 413;
            case "api_error", "server_error" -> 500;
            default -> anthropic ? 500 : 502;
        };
        return new GatewayError(status, type, status == 529 || status >= 500 ? "upstream_error" : type, prefix + message, null, null);
    }
}
