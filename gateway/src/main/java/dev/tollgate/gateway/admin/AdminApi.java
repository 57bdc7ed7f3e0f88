package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.store.LedgerEntry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The admin API (bearer {@code admin.token}): spend breakdowns and the latest ledger rows. Ledger queries run on a
 * worker thread, never on the event loop.
 */
public final class AdminApi {

    private static final int MAX_LIMIT = 1000;

    private final Vertx vertx;
    private final GatewayServices services;
    private final OutcomesApi outcomes;
    private final FocusExportApi focusExport;

    public AdminApi(Vertx vertx, GatewayServices services) {
        this.vertx = vertx;
        this.services = services;
        this.outcomes = new OutcomesApi(this, services);
        this.focusExport = new FocusExportApi(vertx, services);
    }

    public void handle(HttpServerRequest request) {
        if (!authorized(request)) {
            respondError(request, new GatewayError(401, "invalid_request_error", "invalid_admin_token",
                    "the admin API needs 'Authorization: Bearer <admin.token>'", null, null));
            return;
        }
        try {
            switch (request.path()) {
                case "/admin/spend" -> query(request, () -> spend(request));
                case "/admin/requests" -> query(request, () -> requests(request));
                case "/admin/outcomes" -> outcomes.handle(request);
                case "/admin/export/focus" -> focusExport.handle(request);
                default -> respondError(request, GatewayError.notFound("no admin route " + request.path(), "unknown_url"));
            }
        } catch (IllegalArgumentException e) {
            respondError(request, GatewayError.badRequest(e.getMessage(), null));
        }
    }

    private boolean authorized(HttpServerRequest request) {
        String token = services.config().admin().token();
        String auth = request.getHeader("authorization");
        if (token == null || auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        return MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), auth.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }

    void query(HttpServerRequest request, Callable<ObjectNode> work) {
        vertx.executeBlocking(() -> {
            services.ledger().flush();
            return work.call();
        }, false).onComplete(result -> {
            if (result.succeeded()) {
                request.response().putHeader("content-type", "application/json").end(Json.buffer(result.result()));
            } else if (result.cause() instanceof IllegalArgumentException e) {
                respondError(request, GatewayError.badRequest(e.getMessage(), null));
            } else {
                respondError(request, new GatewayError(500, "api_error", "ledger_error",
                        "the ledger query failed: " + result.cause().getMessage(), null, null));
            }
        });
    }

    private ObjectNode spend(HttpServerRequest request) {
        return SpendReport.spend(services.ledger(), SpendReport.query(params(request), Instant.now()));
    }

    /** The query parameters, the last value of a repeated one winning. */
    static Map<String, String> params(HttpServerRequest request) {
        Map<String, String> params = new LinkedHashMap<>();
        request.params().forEach(params::put);
        return params;
    }

    private ObjectNode requests(HttpServerRequest request) {
        int limit = 50;
        if (request.getParam("limit") != null) {
            try {
                limit = Integer.parseInt(request.getParam("limit"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("limit must be a whole number");
            }
        }
        if (limit < 1 || limit > MAX_LIMIT) throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT);
        ObjectNode body = Json.object();
        ArrayNode out = body.putArray("requests");
        Map<String, String> params = params(request);
        params.remove("limit");
        List<LedgerEntry> rows = params.isEmpty() ? services.ledger().recent(limit)
                : services.ledger().audit(SpendReport.query(params, Instant.now()), limit); // filters: an audit
        for (LedgerEntry e : rows) out.add(LedgerJson.of(e));
        return body;
    }

    static void respondError(HttpServerRequest request, GatewayError error) {
        request.response().setStatusCode(error.status()).putHeader("content-type", "application/json")
                .end(error.render(WireFormat.OPENAI, null));
    }
}
