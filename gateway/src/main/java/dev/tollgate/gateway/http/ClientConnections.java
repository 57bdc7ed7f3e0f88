package dev.tollgate.gateway.http;

import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.gateway.config.GatewayConfig;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One event loop's client connections and their deadlines, the defence against clients that hold connections
 * without using them (slowloris): a new connection must send a complete request head within
 * {@code server.header_timeout_ms}, an idle one its next head within {@code server.keep_alive_timeout_ms} of its last
 * answer; a connection over the caps of the shared {@link ConnectionGuard} is answered 503 if it sends a request at
 * once and closed otherwise. A request in flight has no deadline here: a provider may think for minutes.
 */
final class ClientConnections implements AutoCloseable {

    /** How long a refused connection is kept open for the request it may already be sending, to answer it 503. */
    private static final long REFUSAL_GRACE_NANOS = 1_000_000_000L;
    /** How often deadlines are checked: a sweep costs nothing per request, unlike a timer per wait. */
    private static final long SWEEP_MS = 250;

    private final ConnectionGuard guard;
    private final long headerTimeoutNanos;
    private final long keepAliveTimeoutNanos;
    private final Map<HttpConnection, Client> open = new IdentityHashMap<>();
    private final Vertx vertx;
    private final long sweeper;

    /** Call on the event loop that serves these connections: the sweep runs there. */
    ClientConnections(Vertx vertx, ConnectionGuard guard, GatewayConfig.Server server) {
        this.vertx = vertx;
        this.guard = guard;
        this.headerTimeoutNanos = server.headerTimeout().toNanos();
        this.keepAliveTimeoutNanos = server.keepAliveTimeout().toNanos();
        this.sweeper = vertx.setPeriodic(SWEEP_MS, id -> sweep());
    }

    /** The server's connection handler: counts the connection and starts its wait for a request head. */
    void opened(HttpConnection connection) {
        String address = connection.remoteAddress() == null ? "" : connection.remoteAddress().hostAddress();
        boolean admitted = guard.admit(address);
        Client client = new Client(connection, admitted);
        client.deadline = System.nanoTime() + (admitted ? headerTimeoutNanos : REFUSAL_GRACE_NANOS);
        open.put(connection, client);
        connection.closeHandler(v -> {
            open.remove(connection);
            if (admitted) guard.release(address);
        });
    }

    /** Called as a request arrives; false when its connection was refused and the request has been answered 503. */
    boolean started(HttpServerRequest request) {
        Client client = open.get(request.connection());
        if (client == null) return true; // its connection closed as the request arrived
        if (!client.admitted) {
            refuse(request);
            return false;
        }
        client.inFlight++;
        client.deadline = Long.MAX_VALUE;
        request.response().endHandler(client);
        return true;
    }

    private void sweep() {
        long now = System.nanoTime();
        List<HttpConnection> late = null;
        for (Client c : open.values()) {
            if (c.deadline != Long.MAX_VALUE && now - c.deadline > 0) {
                c.deadline = Long.MAX_VALUE; // closed once; its close handler removes it
                if (late == null) late = new ArrayList<>();
                late.add(c.connection);
            }
        }
        if (late != null) late.forEach(HttpConnection::close); // not while iterating: a close may remove at once
    }

    @Override
    public void close() {
        vertx.cancelTimer(sweeper);
    }

    private static void refuse(HttpServerRequest request) {
        GatewayError error = new GatewayError(503, "api_error", "too_many_connections",
                "the gateway has too many connections open (from this address or in all); retry shortly", null, null);
        WireFormat format = request.getHeader("anthropic-version") != null ? WireFormat.ANTHROPIC : WireFormat.OPENAI;
        request.response().setStatusCode(503).putHeader("content-type", "application/json").putHeader("retry-after", "1")
                .putHeader("connection", "close").end(error.render(format, null));
    }

    /** A connection's deadline; as the handler of its answers' ends it starts the wait for the next request. */
    private final class Client implements Handler<Void> {
        final HttpConnection connection;
        final boolean admitted;
        int inFlight;
        /** System.nanoTime() by which the next request head must have arrived; MAX_VALUE while one is in flight. */
        long deadline;

        Client(HttpConnection connection, boolean admitted) {
            this.connection = connection;
            this.admitted = admitted;
        }

        @Override
        public void handle(Void answered) {
            if (--inFlight == 0) deadline = System.nanoTime() + keepAliveTimeoutNanos;
        }
    }
}
