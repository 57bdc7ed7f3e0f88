package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.audit.AuditEndpoint;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.store.LedgerEntry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import dev.tollgate.gateway.http.ServerRequest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The admin API (bearer {@code admin.token}): spend breakdowns and the latest ledger rows, then the routes others
 * added ({@link AdminRoute}). Ledger queries run on a worker thread, never on the event loop.
 */
public final class AdminApi {

    private static final int MAX_LIMIT = 1000;

    private final Vertx vertx;
    private final GatewayServices services;
    private final OutcomesApi outcomes;
    private final FocusExportApi focusExport;

    private final BudgetAdmin budgetAdmin;
    private final KeyAdmin keyAdmin;

    public AdminApi(Vertx vertx, GatewayServices services) {
        this.vertx = vertx;
        this.services = services;
        this.budgetAdmin = new BudgetAdmin(vertx, services.budgets());
        this.keyAdmin = new KeyAdmin(vertx, services.keys(), services.budgets().store(), services.clock());
        this.outcomes = new OutcomesApi(this, services);
        this.focusExport = new FocusExportApi(vertx, services);
    }

    public void handle(ServerRequest request) {
        if (!authorized(request)) {
            respondError(request, new GatewayError(401, "invalid_request_error", "invalid_admin_token",
                    "the admin API needs 'Authorization: Bearer <admin.token>'", null, null));
            return;
        }
        try {
            switch (request.path()) {
                case "/admin/spend" -> query(request, () -> spend(request));
                case "/admin/requests" -> query(request, () -> requests(request));
                case "/admin/audit" -> query(request, () -> AuditEndpoint.report(services, request));
                case "/admin/shadow" -> query(request, () -> dev.tollgate.gateway.shadow.ShadowEndpoint.answers(services, request));
                case "/admin/prompts/sample" -> query(request, () -> AuditEndpoint.sample(services, request));
                case "/admin/alerts" -> budgetAdmin.alerts(request);
                case "/admin/routes" -> request.response().putHeader("content-type", "application/json")
                        .end(Json.buffer(RoutesHealth.of(services.router())));
                case "/admin/outcomes" -> outcomes.handle(request);
                case "/admin/export/focus" -> focusExport.handle(request);
                case String p when p.equals("/admin/budgets") || p.startsWith("/admin/budgets/") -> budgetAdmin.budgets(request);
                case String p when p.equals("/admin/keys") || p.startsWith("/admin/keys/") -> keyAdmin.handle(request);
                case String p when p.startsWith(RequestLookup.PREFIX) -> query(request, () -> RequestLookup.find(services.ledger(), p));
                default -> added(request);
            }
        } catch (IllegalArgumentException e) {
            respondError(request, GatewayError.badRequest(e.getMessage(), null));
        }
    }

    /** The routes added by whoever started the gateway ({@link GatewayServices#adminRoutes()}), or 404. */
    private void added(ServerRequest request) {
        List<AdminRoute> onPath = services.adminRoutes().stream().filter(r -> r.path().equals(request.path())).toList();
        if (onPath.isEmpty()) {
            respondError(request, GatewayError.notFound("no admin route " + request.path(), "unknown_url"));
            return;
        }
        AdminRoute route = onPath.stream().filter(r -> r.method().equals(request.method())).findFirst().orElse(null);
        if (route == null) {
            respondError(request, new GatewayError(405, "invalid_request_error", "method_not_allowed", "use "
                    + String.join(" or ", onPath.stream().map(r -> r.method().name()).toList()) + " on " + request.path(), null, null));
            return;
        }
        Map<String, String> params = new LinkedHashMap<>();
        request.params().forEach(params::putIfAbsent);
        java.util.concurrent.atomic.AtomicBoolean gone = new java.util.concurrent.atomic.AtomicBoolean();
        request.response().closeHandler(v -> gone.set(true));
        if (route.method() == HttpMethod.GET || route.method() == HttpMethod.DELETE) {
            query(request, () -> route.handler().answer(new AdminCall(params, null, services, gone::get)));
            return;
        }
        request.body().onComplete(read -> {
            com.fasterxml.jackson.databind.JsonNode body = null;
            String problem = null;
            if (read.failed()) {
                problem = "could not read the request body";
            } else {
                try {
                    body = Json.parse(read.result());
                    if (!body.isObject()) problem = "the body must be a JSON object";
                } catch (java.io.IOException e) {
                    problem = "the body must be a JSON object: " + e.getMessage();
                }
            }
            if (problem != null) {
                respondError(request, GatewayError.badRequest(problem, null));
                return;
            }
            com.fasterxml.jackson.databind.JsonNode json = body;
            query(request, () -> route.handler().answer(new AdminCall(params, json, services, gone::get)));
        });
    }

    private boolean authorized(ServerRequest request) {
        String token = services.config().admin().token();
        String auth = request.getHeader("authorization");
        if (token == null || auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        return MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), auth.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }

    void query(ServerRequest request, Callable<ObjectNode> work) {
        vertx.executeBlocking(() -> {
            services.ledger().flush();
            return work.call();
        }, false).onComplete(result -> {
            if (result.succeeded()) {
                request.response().putHeader("content-type", "application/json").end(Json.buffer(result.result()));
            } else if (result.cause() instanceof java.util.concurrent.CancellationException) {
                return; // the work stopped because its caller hung up: there is nobody to answer
            } else if (result.cause() instanceof IllegalArgumentException e) {
                respondError(request, GatewayError.badRequest(e.getMessage(), null));
            } else if (result.cause() instanceof java.util.NoSuchElementException e) {
                respondError(request, GatewayError.notFound(e.getMessage(), "not_found"));
            } else if (result.cause() instanceof dev.tollgate.store.StorageFullException e) {
                respondError(request, GatewayError.storageFull(e.getMessage()));
            } else {
                respondError(request, new GatewayError(500, "api_error", "ledger_error",
                        "the ledger query failed: " + result.cause().getMessage(), null, null));
            }
        });
    }

    private ObjectNode spend(ServerRequest request) {
        return SpendReport.spend(services.ledger(), SpendReport.query(params(request), services.clock().instant()));
    }

    /** The query parameters, the last value of a repeated one winning. */
    static Map<String, String> params(ServerRequest request) {
        Map<String, String> params = new LinkedHashMap<>();
        request.params().forEach(params::put);
        return params;
    }

    private ObjectNode requests(ServerRequest request) {
        int limit = limit(request);
        ObjectNode body = Json.object();
        ArrayNode out = body.putArray("requests");
        Map<String, String> params = params(request);
        params.remove("limit");
        List<LedgerEntry> rows = params.isEmpty() ? services.ledger().recent(limit)
                : services.ledger().audit(SpendReport.query(params, services.clock().instant()), limit); // filters: an audit
        for (LedgerEntry e : rows) out.add(LedgerJson.of(e));
        return body;
    }

    /** The {@code limit} query parameter: 1 to {@value #MAX_LIMIT}, default 50. */
    static int limit(ServerRequest request) {
        int limit = 50;
        if (request.getParam("limit") != null) {
            try {
                limit = Integer.parseInt(request.getParam("limit"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("limit must be a whole number");
            }
        }
        if (limit < 1 || limit > MAX_LIMIT) throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT);
        return limit;
    }

    static void respondError(ServerRequest request, GatewayError error) {
        request.response().setStatusCode(error.status()).putHeader("content-type", "application/json")
                .end(error.render(WireFormat.OPENAI, null));
    }
}
