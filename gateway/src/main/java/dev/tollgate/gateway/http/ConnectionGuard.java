package dev.tollgate.gateway.http;

import dev.tollgate.gateway.config.GatewayConfig;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the gateway's open client connections, in all and per client address, across its event loops, so that one
 * client holding thousands of connections (slowloris) cannot take the file descriptors every other client needs.
 * A connection over either cap is refused: answered 503 if it sends a request at once, closed otherwise.
 */
public final class ConnectionGuard {

    private final int maxConnections;
    private final int maxPerClient;
    private final AtomicInteger open = new AtomicInteger();
    /** Open connections per client address; an address with none has no entry. */
    private final ConcurrentHashMap<String, Integer> perClient = new ConcurrentHashMap<>();

    public ConnectionGuard(GatewayConfig.Server server) {
        this.maxConnections = server.maxConnections();
        this.maxPerClient = server.maxConnectionsPerClient();
    }

    /** Counts a new connection from {@code client}; false (and nothing counted) when it is over a cap. */
    boolean admit(String client) {
        if (open.incrementAndGet() > maxConnections) {
            open.decrementAndGet();
            return false;
        }
        if (maxPerClient <= 0) return true;
        boolean[] admitted = {false};
        perClient.compute(client, (c, n) -> {
            int count = n == null ? 0 : n;
            if (count >= maxPerClient) return n;
            admitted[0] = true;
            return count + 1;
        });
        if (!admitted[0]) open.decrementAndGet();
        return admitted[0];
    }

    /** Uncounts a connection that {@link #admit} let in, once it closed. */
    void release(String client) {
        open.decrementAndGet();
        if (maxPerClient <= 0) return;
        perClient.computeIfPresent(client, (c, n) -> n <= 1 ? null : n - 1);
    }
}
