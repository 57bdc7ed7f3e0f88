package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.auth.KeyStore;
import dev.tollgate.gateway.auth.Tags;
import dev.tollgate.store.BudgetStore;
import dev.tollgate.store.StoredKey;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import dev.tollgate.gateway.http.ServerRequest;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code /admin/keys}: create a virtual key (its secret is in the answer, once, and nowhere else), list the keys
 * (never a secret or a hash), revoke one ({@code DELETE /admin/keys/NAME}, a config key too). Changes go to the store
 * (the ledger's DuckDB file, or PostgreSQL, where every replica hears of them) on a worker thread, then this gateway's
 * keys are read back from it.
 */
final class KeyAdmin {

    private static final Set<String> FIELDS = Set.of("name", "tags");

    private final Vertx vertx;
    private final KeyStore keys;
    private final BudgetStore store;
    private final Clock clock;

    KeyAdmin(Vertx vertx, KeyStore keys, BudgetStore store, Clock clock) {
        this.vertx = vertx;
        this.keys = keys;
        this.store = store;
        this.clock = clock;
    }

    void handle(ServerRequest request) {
        String path = request.path();
        String name = path.length() > "/admin/keys/".length()
                ? URLDecoder.decode(path.substring("/admin/keys/".length()), StandardCharsets.UTF_8) : null;
        HttpMethod method = request.method();
        if (name == null && method == HttpMethod.GET) {
            respond(request, 200, list());
        } else if (name == null && method == HttpMethod.POST) {
            request.body().onComplete(read -> {
                JsonNode body = null;
                try {
                    if (read.succeeded()) body = Json.parse(read.result());
                } catch (Exception e) {
                    body = null;
                }
                if (body == null || !body.isObject()) {
                    AdminApi.respondError(request, GatewayError.badRequest("the body must be a JSON object: {\"name\": …, \"tags\": {…}}", null));
                    return;
                }
                JsonNode json = body;
                blocking(request, 201, () -> create(json));
            });
        } else if (name == null) {
            AdminApi.respondError(request, new GatewayError(405, "invalid_request_error", "method_not_allowed", "use GET or POST on /admin/keys", null, null));
        } else if (method == HttpMethod.DELETE) {
            blocking(request, 200, () -> revoke(name));
        } else {
            AdminApi.respondError(request, new GatewayError(405, "invalid_request_error", "method_not_allowed", "use DELETE on /admin/keys/NAME", null, null));
        }
    }

    private ObjectNode list() {
        ObjectNode body = Json.object();
        ArrayNode out = body.putArray("keys");
        for (KeyStore.Listed k : keys.list()) out.add(json(k.name(), k.tags(), k.source(), k.createdAt()));
        return body;
    }

    private ObjectNode create(JsonNode body) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException("unknown field '" + field + "': a key has a name and tags (its secret is made here)");
            }
        }
        JsonNode nameNode = body.path("name");
        String name = nameNode.isTextual() ? nameNode.asText() : null;
        if (name == null || !name.matches("[A-Za-z0-9_.:@-]{1,100}")) {
            throw new IllegalArgumentException("name: 1 to 100 letters, digits or _ . : @ - (how the key appears in the ledger and reports)");
        }
        Map<String, String> tags = new LinkedHashMap<>();
        JsonNode tagsNode = body.path("tags");
        if (!tagsNode.isMissingNode() && !tagsNode.isNull()) {
            if (!tagsNode.isObject()) throw new IllegalArgumentException("tags must be an object of name: value");
            for (Iterator<Map.Entry<String, JsonNode>> it = tagsNode.fields(); it.hasNext(); ) {
                var tag = it.next();
                if (!tag.getValue().isValueNode() || tag.getValue().isNull()) throw new IllegalArgumentException("tag '" + tag.getKey() + "' needs a text value");
                tags.put(tag.getKey(), tag.getValue().asText());
            }
        }
        Tags.checked(tags);
        if (keys.named(name).isPresent()) throw new Conflict(name);
        String secret = KeyStore.newSecret();
        StoredKey key = new StoredKey(name, KeyStore.hash(secret), tags, clock.instant());
        if (!store.createKey(key)) throw new Conflict(name);
        keys.reload(store);
        ObjectNode out = json(name, tags, "admin", key.createdAt());
        out.put("key", secret);
        return out;
    }

    private ObjectNode revoke(String name) {
        if (keys.named(name).isEmpty()) throw new java.util.NoSuchElementException(name);
        store.revokeKey(name);
        keys.reload(store);
        return Json.object().put("revoked", name);
    }

    private static ObjectNode json(String name, Map<String, String> tags, String source, java.time.Instant createdAt) {
        ObjectNode n = Json.object();
        n.put("name", name);
        ObjectNode t = n.putObject("tags");
        tags.forEach(t::put);
        n.put("source", source);
        n.put("created_at", createdAt == null ? null : createdAt.toString());
        return n;
    }

    private void blocking(ServerRequest request, int status, Callable<ObjectNode> work) {
        vertx.executeBlocking(work, false).onComplete(result -> {
            if (result.succeeded()) {
                respond(request, status, result.result());
                return;
            }
            Throwable cause = result.cause();
            if (cause instanceof java.util.NoSuchElementException) {
                AdminApi.respondError(request, GatewayError.notFound("no key named '" + cause.getMessage() + "'", "key_not_found"));
            } else if (cause instanceof Conflict) {
                AdminApi.respondError(request, new GatewayError(409, "invalid_request_error", "key_exists", "a key named '"
                        + cause.getMessage() + "' exists; revoke it first (DELETE /admin/keys/" + cause.getMessage() + ") to replace it", null, null));
            } else if (cause instanceof IllegalArgumentException) {
                AdminApi.respondError(request, GatewayError.badRequest(cause.getMessage(), null));
            } else {
                AdminApi.respondError(request, new GatewayError(500, "api_error", "store_error", "the key store failed: " + cause.getMessage(), null, null));
            }
        });
    }

    private static void respond(ServerRequest request, int status, ObjectNode body) {
        request.response().setStatusCode(status).putHeader("content-type", "application/json").end(Json.buffer(body));
    }

    private static final class Conflict extends RuntimeException {
        Conflict(String name) {
            super(name, null, false, false);
        }
    }
}
