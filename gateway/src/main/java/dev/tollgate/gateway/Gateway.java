package dev.tollgate.gateway;

import dev.tollgate.core.tokens.TokenCounter;
import dev.tollgate.gateway.http.ClientListener;
import dev.tollgate.gateway.http.ConnectionGuard;
import dev.tollgate.gateway.http.GatewayVerticle;
import dev.tollgate.gateway.shadow.ShadowLane;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/**
 * A running gateway: one {@link GatewayVerticle} per event loop, all serving one port.
 */
public final class Gateway implements AutoCloseable {

    private final Vertx vertx;
    private final String deploymentId;
    private final int port;
    private final ShadowLane shadows;

    private Gateway(Vertx vertx, String deploymentId, int port, ShadowLane shadows) {
        this.vertx = vertx;
        this.deploymentId = deploymentId;
        this.port = port;
        this.shadows = shadows;
    }

    /**
     * Starts serving on {@code port} (0 picks a free one) with {@code instances} event loops; the Vert.x instance
     * should have at least that many event-loop threads.
     */
    public static Future<Gateway> start(Vertx vertx, GatewayServices services, int port, int instances) {
        int actualPort = port == 0 ? freePort() : port;
        // budgets, estimates and count_tokens need them; start-up need not wait
        TokenCounter.warmUpInBackground(services.config().upstreamModels());
        ConnectionGuard guard = new ConnectionGuard(services.config().server());
        ClientListener listener = new ClientListener(vertx, actualPort);
        if (services.observability().metrics() != null) {
            Gauge.builder("tollgate_client_connections", guard, ConnectionGuard::open)
                    .description("Client connections open (counted against server.max_connections)")
                    .register(services.observability().metrics().registry());
        }
        // shadow calls run on an event loop of their own, never on the ones that serve clients
        return ShadowLane.start(services).compose(shadows ->
                vertx.deployVerticle(() -> new GatewayVerticle(services, listener, actualPort, guard, shadows), new DeploymentOptions().setInstances(instances))
                        .map(id -> new Gateway(vertx, id, actualPort, shadows))
                        .onFailure(e -> { if (shadows != null) shadows.close(); }));
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** Stops accepting requests, then cuts the shadow calls still running; the ledger is closed by whoever opened it. */
    @Override
    public void close() {
        vertx.undeploy(deploymentId).await();
        if (shadows != null) shadows.close();
    }
}
