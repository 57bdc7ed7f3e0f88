package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Json;

/**
 * The OpenAI Responses API's response object and output items, built from an Anthropic message, shared by the
 * complete answer and the stream. Fields the SDKs require are always present, echoing the request where it set them.
 */
final class ResponseObjects {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ResponseObjects() {
    }

    /** Anthropic's stop reason as a Responses status: a cut-off answer is "incomplete", anything else "completed". */
    static String status(String stopReason) {
        return incompleteReason(stopReason) == null ? "completed" : "incomplete";
    }

    static String incompleteReason(String stopReason) {
        if (stopReason == null) return null;
        return switch (stopReason) {
            case "max_tokens", "model_context_window_exceeded" -> "max_output_tokens";
            case "refusal" -> "content_filter";
            default -> null;
        };
    }

    /**
     * The response object. {@code status} "in_progress" gives the snapshot sent before any output; {@code usage}
     * may then be null.
     */
    static ObjectNode response(JsonNode request, String id, long createdAt, String model, String status,
                               String incompleteReason, ArrayNode output, Usage usage) {
        ObjectNode r = Json.object().put("id", id).put("object", "response").put("created_at", createdAt)
                .put("status", status).put("background", false);
        r.putNull("error");
        if (incompleteReason != null) r.putObject("incomplete_details").put("reason", incompleteReason);
        else r.putNull("incomplete_details");
        r.set("instructions", request.path("instructions").isTextual() ? request.get("instructions") : null);
        r.set("max_output_tokens", request.get("max_output_tokens"));
        r.put("model", model);
        r.set("output", output);
        r.put("parallel_tool_calls", request.path("parallel_tool_calls").asBoolean(true));
        r.putNull("previous_response_id");
        r.putObject("reasoning").putNull("effort").putNull("summary");
        r.put("store", false);
        r.set("temperature", request.hasNonNull("temperature") ? request.get("temperature") : NODES.numberNode(1.0));
        r.putObject("text").putObject("format").put("type", "text");
        r.set("tool_choice", request.hasNonNull("tool_choice") ? request.get("tool_choice") : NODES.textNode("auto"));
        r.set("tools", request.path("tools").isArray() ? request.get("tools") : Json.array());
        r.set("top_p", request.hasNonNull("top_p") ? request.get("top_p") : NODES.numberNode(1.0));
        r.put("truncation", "disabled");
        r.set("usage", usage == null ? null : UsageFields.toOpenAiResponses(usage));
        r.set("user", request.path("user").isTextual() ? request.get("user") : null);
        r.putObject("metadata");
        return r;
    }

    static ObjectNode message(String id, String status, String text) {
        ObjectNode item = Json.object().put("id", id).put("type", "message").put("status", status).put("role", "assistant");
        ArrayNode content = item.putArray("content");
        if (text != null) content.add(outputText(text));
        return item;
    }

    static ObjectNode outputText(String text) {
        ObjectNode part = Json.object().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        part.putArray("logprobs");
        return part;
    }

    static ObjectNode functionCall(String id, String status, String callId, String name, String arguments) {
        return Json.object().put("id", id).put("type", "function_call").put("status", status)
                .put("call_id", callId).put("name", name).put("arguments", arguments);
    }

    /** Output item ids derived from Anthropic's, so one answer's ids are stable and unique. */
    static String messageId(String anthropicId, int blockIndex) {
        return "msg_" + anthropicId.replaceFirst("^msg_", "") + "_" + blockIndex;
    }

    static String functionCallId(String toolUseId) {
        return "fc_" + toolUseId.replaceFirst("^toolu_", "");
    }
}
