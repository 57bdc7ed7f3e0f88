package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The wire format a route speaks, which decides how its errors look and which request-id header it sends. */
enum Dialect {
    OPENAI("x-request-id"),
    ANTHROPIC("request-id");

    final String requestIdHeader;

    Dialect(String requestIdHeader) {
        this.requestIdHeader = requestIdHeader;
    }

    /**
     * An error body as the provider writes it. {@code kind} is the Anthropic error type; OpenAI's type and code are
     * derived from it and the status.
     */
    ObjectNode errorBody(int status, String kind, String message, String requestId) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        if (this == ANTHROPIC) {
            root.put("type", "error");
            root.putObject("error").put("type", kind).put("message", message);
            root.put("request_id", requestId);
            return root;
        }
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        switch (status) {
            case 429 -> error.put("type", "requests").putNull("param").put("code", "rate_limit_exceeded");
            case 404 -> error.put("type", "invalid_request_error").putNull("param").put("code", "unknown_url");
            default -> {
                if (status >= 500) error.put("type", "server_error").putNull("param").putNull("code");
                else error.put("type", "invalid_request_error").putNull("param").putNull("code");
            }
        }
        return root;
    }
}
