package dev.tollgate.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;

import java.util.Map;

/**
 * An error a client sees, rendered in the wire format it speaks. {@code type} is OpenAI's error type; the
 * Anthropic rendering maps the status to Anthropic's own type names. {@code inStream}: the client's stream already
 * carries this error (the provider's own in-band error event, relayed as it came), so a stream under way is ended
 * without a second one; before the stream has started it is answered as any error.
 */
public record GatewayError(int status, String type, String code, String message, String param,
                           Map<String, String> headers, boolean inStream) {

    public GatewayError {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    public GatewayError(int status, String type, String code, String message, String param, Map<String, String> headers) {
        this(status, type, code, message, param, headers, false);
    }

    public static GatewayError badRequest(String message, String param) {
        return new GatewayError(400, "invalid_request_error", null, message, param, null);
    }

    public static GatewayError unauthorized(String message) {
        return new GatewayError(401, "invalid_request_error", "invalid_api_key", message, null, null);
    }

    public static GatewayError forbidden(String message) {
        return new GatewayError(403, "invalid_request_error", "forbidden", message, null, null);
    }

    public static GatewayError notFound(String message, String code) {
        return new GatewayError(404, "invalid_request_error", code, message, null, null);
    }

    public static GatewayError tooLarge(long limit) {
        return new GatewayError(413, "invalid_request_error", "request_too_large",
                "request body is larger than the gateway's limit of " + limit + " bytes", null, null);
    }

    public static GatewayError upstream(int status, String message) {
        return new GatewayError(status, status == 504 ? "timeout" : "api_error",
                status == 504 ? "upstream_timeout" : "upstream_error", message, null, null);
    }

    /** The ledger can keep no more rows (its disk and spool are full), so a call that would spend is not made. */
    public static GatewayError ledgerUnavailable() {
        return new GatewayError(503, "api_error", "ledger_unavailable",
                "the gateway cannot record spend right now (its ledger storage is full), so it does not make metered calls;"
                        + " retry shortly", null, Map.of("retry-after", "5"));
    }

    /**
     * A write the admin API was asked for (a budget, an outcome) was refused because the ledger's disk is nearly full
     * (ledger.min_free_mb); nothing was written. 507 Insufficient Storage (RFC 4918) says exactly that.
     */
    public static GatewayError storageFull(String message) {
        return new GatewayError(507, "api_error", "storage_full", message, null, null);
    }

    public GatewayError withHeaders(Map<String, String> more) {
        return new GatewayError(status, type, code, message, param, more, inStream);
    }

    /** This error, marked as already in the client's stream (see {@code inStream}). */
    public GatewayError alreadyInStream() {
        return new GatewayError(status, type, code, message, param, headers, true);
    }

    /** The error body in the given wire format. */
    public Buffer render(WireFormat format, String requestId) {
        ObjectNode body = Json.object();
        if (format == WireFormat.ANTHROPIC) {
            body.put("type", "error");
            body.putObject("error").put("type", anthropicType()).put("message", message);
            body.put("request_id", requestId);
        } else {
            ObjectNode error = body.putObject("error");
            error.put("message", message).put("type", type).put("param", param).put("code", code);
        }
        return Json.buffer(body);
    }

    private String anthropicType() {
        if ("budget_exceeded".equals(type)) return type; // a spending limit, not the provider's rate limit
        return switch (status) {
            case 400, 422 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            case 504 -> "timeout_error";
            default -> "api_error";
        };
    }
}
