package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.BudgetAccount;
import dev.tollgate.core.budget.Period;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.gateway.budget.AlertDispatcher;
import dev.tollgate.gateway.budget.BudgetBook;
import dev.tollgate.gateway.budget.BudgetService;
import dev.tollgate.gateway.budget.BudgetWords;
import dev.tollgate.gateway.config.ConfigLoader.ConfigException;
import dev.tollgate.gateway.config.SpendControls;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import dev.tollgate.gateway.http.ServerRequest;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code /admin/budgets} (list, create, show, change, delete, with spent / reserved / remaining and the reset time)
 * and {@code /admin/alerts} (what fired). Changes and alert reads touch the store and the ledger, so they run on a
 * worker thread; the answer is written back on the request's event loop.
 */
final class BudgetAdmin {

    private final Vertx vertx;
    private final BudgetService budgets;

    BudgetAdmin(Vertx vertx, BudgetService budgets) {
        this.vertx = vertx;
        this.budgets = budgets;
    }

    void budgets(ServerRequest request) {
        String path = request.path();
        String name = path.length() > "/admin/budgets/".length()
                ? URLDecoder.decode(path.substring("/admin/budgets/".length()), StandardCharsets.UTF_8) : null;
        HttpMethod method = request.method();
        if (name == null) {
            if (method == HttpMethod.GET && budgets.redis() != null) blocking(request, this::list); // shared counters: read Redis
            else if (method == HttpMethod.GET) respond(request, 200, list());
            else if (method == HttpMethod.POST) withBody(request, body -> create(body));
            else respondError(request, new GatewayError(405, "invalid_request_error", "method_not_allowed", "use GET or POST on /admin/budgets", null, null));
            return;
        }
        if (method == HttpMethod.GET && budgets.redis() != null) {
            blocking(request, () -> {
                BudgetBook.Entry entry = budgets.book().find(name).orElseThrow(() -> new NotFound(name));
                budgets.refresh(entry);
                return json(entry);
            });
        } else if (method == HttpMethod.GET) {
            Optional<BudgetBook.Entry> entry = budgets.book().find(name);
            if (entry.isPresent()) respond(request, 200, json(entry.get()));
            else respondError(request, notFound(name));
        } else if (method == HttpMethod.PUT || method == HttpMethod.PATCH) {
            withBody(request, body -> change(name, body));
        } else if (method == HttpMethod.DELETE) {
            blocking(request, () -> {
                if (!budgets.delete(name)) throw new NotFound(name);
                return Json.object().put("deleted", name);
            });
        } else {
            respondError(request, new GatewayError(405, "invalid_request_error", "method_not_allowed", "use GET, PUT, PATCH or DELETE on /admin/budgets/NAME", null, null));
        }
    }

    void alerts(ServerRequest request) {
        int limit = AdminApi.limit(request);
        blocking(request, () -> {
            ObjectNode body = Json.object();
            ArrayNode out = body.putArray("alerts");
            for (Alert a : budgets.store().alerts(limit)) out.add(AlertDispatcher.json(a));
            return body;
        });
    }

    private ObjectNode list() {
        ObjectNode body = Json.object();
        ArrayNode out = body.putArray("budgets");
        for (BudgetBook.Entry e : budgets.book().entries()) {
            budgets.refresh(e);
            out.add(json(e));
        }
        return body;
    }

    private ObjectNode create(JsonNode body) {
        Budget budget = SpendControls.budget(body, budgets.controls().timeZone());
        if (budgets.book().find(budget.name()).isPresent()) {
            throw new Conflict("budget '" + budget.name() + "' exists; change it with PUT /admin/budgets/" + budget.name());
        }
        return json(budgets.save(budget));
    }

    /** Fields given replace the budget's; fields left out keep their values. */
    private ObjectNode change(String name, JsonNode body) {
        BudgetBook.Entry existing = budgets.book().find(name).orElseThrow(() -> new NotFound(name));
        ObjectNode merged = definition(existing.budget());
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            var field = it.next();
            merged.set(field.getKey(), field.getValue());
        }
        merged.put("name", name);
        return json(budgets.save(SpendControls.budget(merged, budgets.controls().timeZone())));
    }

    static ObjectNode definition(Budget b) {
        ObjectNode n = Json.object();
        n.put("name", b.name()).put("scope", b.scope().toString()).put("period", b.period().label())
                .put("limit_usd", BudgetWords.exact(b.limitUsd())).put("action", b.action().label());
        if (b.downgradeTo() != null) n.put("downgrade_to", b.downgradeTo());
        ArrayNode t = n.putArray("thresholds");
        b.thresholds().forEach(t::add);
        n.put("time_zone", b.zone().getId());
        return n;
    }

    private ObjectNode json(BudgetBook.Entry e) {
        ObjectNode n = definition(e.budget());
        Period.Window w = e.window(budgets.clock().instant());
        BudgetAccount.State s = e.state();
        n.put("spent_usd", BudgetWords.exact(s.spent())).put("reserved_usd", BudgetWords.exact(s.reserved())).put("remaining_usd", BudgetWords.exact(e.remaining()));
        n.put("period_start", e.budget().period() == Period.LIFETIME ? null : w.start().toString());
        n.put("resets_at", w.end() == Instant.MAX ? null : w.end().toString());
        return n;
    }

    private interface BodyWork {
        ObjectNode apply(JsonNode body) throws Exception;
    }

    private void withBody(ServerRequest request, BodyWork work) {
        request.body().onComplete(read -> {
            if (read.failed()) {
                respondError(request, GatewayError.badRequest("could not read the request body", null));
                return;
            }
            JsonNode body;
            try {
                body = Json.parse(read.result());
            } catch (Exception e) {
                respondError(request, GatewayError.badRequest("the body must be a JSON object: " + e.getMessage(), null));
                return;
            }
            if (body == null || !body.isObject()) {
                respondError(request, GatewayError.badRequest("the body must be a JSON object", null));
                return;
            }
            blocking(request, () -> work.apply(body));
        });
    }

    private void blocking(ServerRequest request, Callable<ObjectNode> work) {
        vertx.executeBlocking(work, false).onComplete(result -> {
            if (result.succeeded()) {
                respond(request, request.method() == HttpMethod.POST ? 201 : 200, result.result());
                return;
            }
            Throwable cause = result.cause();
            if (cause instanceof NotFound nf) respondError(request, notFound(nf.getMessage()));
            else if (cause instanceof Conflict c) respondError(request, new GatewayError(409, "invalid_request_error", "budget_exists", c.getMessage(), null, null));
            else if (cause instanceof IllegalArgumentException || cause instanceof ConfigException) respondError(request, GatewayError.badRequest(cause.getMessage(), null));
            else if (cause instanceof dev.tollgate.store.StorageFullException full) respondError(request, GatewayError.storageFull(full.getMessage()));
            else respondError(request, new GatewayError(500, "api_error", "store_error", "the budget store failed: " + cause.getMessage(), null, null));
        });
    }

    private static GatewayError notFound(String name) {
        return GatewayError.notFound("no budget named '" + name + "'", "budget_not_found");
    }

    private static void respond(ServerRequest request, int status, ObjectNode body) {
        request.response().setStatusCode(status).putHeader("content-type", "application/json").end(Json.buffer(body));
    }

    private static void respondError(ServerRequest request, GatewayError error) {
        request.response().setStatusCode(error.status()).putHeader("content-type", "application/json")
                .end(error.render(WireFormat.OPENAI, null));
    }

    private static final class NotFound extends RuntimeException {
        NotFound(String name) {
            super(name, null, false, false);
        }
    }

    private static final class Conflict extends RuntimeException {
        Conflict(String message) {
            super(message, null, false, false);
        }
    }
}
