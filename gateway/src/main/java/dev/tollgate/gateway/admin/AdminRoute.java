package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpMethod;

import java.util.Objects;

/**
 * An admin route that a module above the gateway adds (the planner's, registered by {@code serve}), so that the gateway
 * serves it without depending on that module. {@link AdminApi} answers it after its own routes, behind the same admin
 * token, with the same error format; the handler runs on a worker thread.
 *
 * @param path    the exact path, under {@code /admin/}
 * @param handler computes the JSON answer; it throws {@link IllegalArgumentException} for a bad request (400),
 *                {@link java.util.NoSuchElementException} for something missing (404), anything else for a failure (500)
 */
public record AdminRoute(HttpMethod method, String path, Handler handler) {

    /** Computes a route's answer. May block (ledger reads): it never runs on the event loop. */
    @FunctionalInterface
    public interface Handler {
        ObjectNode answer(AdminCall call) throws Exception;
    }

    public AdminRoute {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(handler, "handler");
        if (path == null || !path.startsWith("/admin/")) throw new IllegalArgumentException("an admin route's path starts with /admin/, not " + path);
    }
}
