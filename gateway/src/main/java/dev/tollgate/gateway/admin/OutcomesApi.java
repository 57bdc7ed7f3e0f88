package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.store.Outcome;
import io.vertx.core.http.HttpMethod;
import dev.tollgate.gateway.http.ServerRequest;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;

/**
 * {@code POST /admin/outcomes} records whether a request or a decision succeeded:
 * {@code {"request_id":"req_…","success":true,"value_usd":"12.50"}} or {@code {"decision":"refund-4711","success":false}};
 * {@code GET /admin/outcomes} reports cost per successful outcome (see {@link SpendReport#outcomes}).
 */
final class OutcomesApi {

    private static final int MAX_BODY = 16 * 1024;
    private static final int MAX_NAME = 128;

    private final AdminApi admin;
    private final GatewayServices services;

    OutcomesApi(AdminApi admin, GatewayServices services) {
        this.admin = admin;
        this.services = services;
    }

    void handle(ServerRequest request) {
        if (request.method() == HttpMethod.GET) {
            admin.query(request, () -> SpendReport.outcomes(services.ledger(), SpendReport.query(AdminApi.params(request), services.clock().instant())));
        } else if (request.method() == HttpMethod.POST) {
            String length = request.getHeader("content-length");
            if (length != null && length.trim().length() > 9 || length != null && Long.parseLong(length.trim()) > MAX_BODY) {
                AdminApi.respondError(request, new GatewayError(413, "invalid_request_error", "request_too_large",
                        "an outcome is at most " + MAX_BODY + " bytes", null, null));
                return;
            }
            request.body().onComplete(body -> {
                if (body.failed()) {
                    AdminApi.respondError(request, GatewayError.badRequest("could not read the request body", null));
                    return;
                }
                if (body.result().length() > MAX_BODY) {
                    AdminApi.respondError(request, new GatewayError(413, "invalid_request_error", "request_too_large",
                            "an outcome is at most " + MAX_BODY + " bytes", null, null));
                    return;
                }
                Outcome outcome;
                try {
                    outcome = parse(body.result().toString(), services.clock().instant());
                } catch (IllegalArgumentException e) {
                    AdminApi.respondError(request, GatewayError.badRequest(e.getMessage(), null));
                    return;
                }
                admin.query(request, () -> {
                    services.ledger().recordOutcome(outcome);
                    ObjectNode ok = Json.object();
                    ok.put("recorded", true);
                    ok.put("request_id", outcome.requestId());
                    ok.put("decision", outcome.decision());
                    ok.put("success", outcome.success());
                    ok.put("value_usd", outcome.valueUsd());
                    return ok;
                });
            });
        } else {
            AdminApi.respondError(request, new GatewayError(405, "invalid_request_error", "method_not_allowed",
                    "use GET or POST for /admin/outcomes", null, null));
        }
    }

    /** The outcome a request body describes; every mistake is an IllegalArgumentException that says what to fix. */
    static Outcome parse(String text, Instant now) {
        JsonNode body;
        try {
            body = Json.parse(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed JSON in request body");
        }
        if (body == null || !body.isObject()) throw new IllegalArgumentException("the request body must be a JSON object");
        String requestId = name(body, "request_id");
        String decision = name(body, "decision");
        if ((requestId == null) == (decision == null)) {
            throw new IllegalArgumentException("name either 'request_id' (one request) or 'decision' (all requests sent with"
                    + " x-tollgate-decision: NAME), not both or neither");
        }
        JsonNode success = body.get("success");
        if (success == null || !success.isBoolean()) throw new IllegalArgumentException("'success' must be true or false");
        BigDecimal value = null;
        JsonNode v = body.get("value_usd");
        if (v != null && !v.isNull()) {
            try {
                value = v.isNumber() ? v.decimalValue() : new BigDecimal(v.textValue());
            } catch (NumberFormatException | NullPointerException e) {
                throw new IllegalArgumentException("'value_usd' must be a decimal number such as \"12.50\"");
            }
            if (value.signum() < 0) throw new IllegalArgumentException("'value_usd' must not be negative");
        }
        return new Outcome(now, requestId, decision, success.booleanValue(), value);
    }

    private static String name(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isTextual() || n.textValue().isBlank() || n.textValue().length() > MAX_NAME) {
            throw new IllegalArgumentException("'" + field + "' must be a string of 1 to " + MAX_NAME + " characters");
        }
        return n.textValue();
    }
}
