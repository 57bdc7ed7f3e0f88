package dev.tollgate.gateway.observe;

import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.WireFormat;
import io.vertx.core.Vertx;
import dev.tollgate.gateway.http.ServerRequest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * {@code GET /metrics} in Prometheus' text format. Open by default, like most exporters on an internal port;
 * {@code metrics.require_admin_token: true} asks scrapers for the admin bearer token. Rendering runs on a worker
 * thread so a large scrape never holds up an event loop.
 */
public final class MetricsEndpoint {

    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final Vertx vertx;
    private final GatewayMetrics metrics;
    private final boolean requireToken;
    private final String adminToken;

    public MetricsEndpoint(Vertx vertx, Observability observability, String adminToken) {
        this.vertx = vertx;
        this.metrics = observability.metrics();
        this.requireToken = observability.config().metrics().requireAdminToken();
        this.adminToken = adminToken;
    }

    public void handle(ServerRequest request) {
        if (metrics == null) {
            fail(request, GatewayError.notFound("metrics are disabled on this gateway (metrics.enabled: false)", "unknown_url"));
            return;
        }
        if (requireToken && !authorized(request.getHeader("authorization"))) {
            fail(request, new GatewayError(401, "invalid_request_error", "invalid_admin_token",
                    "/metrics needs 'Authorization: Bearer <admin.token>' (metrics.require_admin_token is on)", null, null));
            return;
        }
        vertx.executeBlocking(metrics::scrape, false).onComplete(result -> {
            if (result.succeeded()) {
                request.response().putHeader("content-type", CONTENT_TYPE).end(result.result());
            } else {
                fail(request, new GatewayError(500, "api_error", "metrics_error",
                        "rendering the metrics failed: " + result.cause().getMessage(), null, null));
            }
        });
    }

    private boolean authorized(String auth) {
        if (adminToken == null || auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        return MessageDigest.isEqual(adminToken.getBytes(StandardCharsets.UTF_8),
                auth.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }

    private static void fail(ServerRequest request, GatewayError error) {
        request.response().setStatusCode(error.status()).putHeader("content-type", "application/json")
                .end(error.render(WireFormat.OPENAI, null));
    }
}
