package dev.tollgate.gateway.http;

import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.gateway.config.GatewayConfig;
import io.netty.channel.Channel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

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
    private final long maxBodyBytes;
    private final Set<ServerConnection> open = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Vertx vertx;
    private final ContextInternal context;
    private final long sweeper;
    private Promise<Void> drained;

    /** Call on the verticle's context ({@code context}), whose event loop serves these connections. */
    ClientConnections(ContextInternal context, ConnectionGuard guard, GatewayConfig.Server server) {
        this.vertx = context.owner();
        this.context = context;
        this.guard = guard;
        this.headerTimeoutNanos = server.headerTimeout().toNanos();
        this.keepAliveTimeoutNanos = server.keepAliveTimeout().toNanos();
        this.maxBodyBytes = server.maxBodyBytes();
        this.sweeper = vertx.setPeriodic(SWEEP_MS, id -> sweep());
    }

    /** A new connection: counted, given its handler, and started on its wait for a request head. */
    void opened(Channel channel, ServerConnection.Requests requests) {
        String address = channel.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : "";
        boolean admitted = !stopping() && guard.admit(address);
        ServerConnection connection = new ServerConnection(requests, context, this, maxBodyBytes, address, admitted);
        connection.deadline = System.nanoTime() + (admitted ? headerTimeoutNanos : REFUSAL_GRACE_NANOS);
        open.add(connection);
        channel.pipeline().addLast("connection", connection);
    }

    void closed(ServerConnection connection) {
        if (!open.remove(connection)) return;
        if (connection.admitted) guard.release(connection.address);
        if (drained != null && open.isEmpty()) drained.tryComplete();
    }

    /** A request head arrived: no deadline while it is read and answered. */
    void started(ServerConnection connection) {
        connection.deadline = Long.MAX_VALUE;
    }

    /** Its answer is written: the wait for the next request head starts. */
    void answered(ServerConnection connection) {
        connection.deadline = System.nanoTime() + keepAliveTimeoutNanos;
    }

    boolean stopping() {
        return drained != null;
    }

    /**
     * Closes the idle connections now and every other one after its answer; the future completes once all are closed,
     * or after {@code graceMillis}, when whatever is left is cut.
     */
    Future<Void> shutdown(long graceMillis) {
        if (drained == null) {
            drained = Promise.promise();
            if (open.isEmpty()) drained.tryComplete();
            new ArrayList<>(open).forEach(ServerConnection::closeIfIdle);
            long timer = vertx.setTimer(graceMillis, id -> new ArrayList<>(open).forEach(ServerConnection::closeNow));
            drained.future().onComplete(done -> vertx.cancelTimer(timer));
        }
        return drained.future();
    }

    private void sweep() {
        long now = System.nanoTime();
        List<ServerConnection> late = null;
        for (ServerConnection c : open) {
            if (c.deadline != Long.MAX_VALUE && now - c.deadline > 0) {
                c.deadline = Long.MAX_VALUE; // closed once; its close removes it
                if (late == null) late = new ArrayList<>();
                late.add(c);
            }
        }
        if (late != null) late.forEach(ServerConnection::closeNow); // not while iterating: a close may remove at once
    }

    @Override
    public void close() {
        vertx.cancelTimer(sweeper);
    }

    /** Answers a request on a connection over the caps: 503, and the connection closes. */
    void refuse(ServerRequest request) {
        GatewayError error = new GatewayError(503, "api_error", "too_many_connections",
                "the gateway has too many connections open (from this address or in all); retry shortly", null, null);
        WireFormat format = request.getHeader("anthropic-version") != null ? WireFormat.ANTHROPIC : WireFormat.OPENAI;
        request.response().setStatusCode(503).putHeader("content-type", "application/json").putHeader("retry-after", "1")
                .putHeader("connection", "close").end(error.render(format, null));
    }
}
