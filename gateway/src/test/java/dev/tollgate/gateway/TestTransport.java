package dev.tollgate.gateway;

import dev.tollgate.gateway.http.NetworkTransport;

/**
 * The transport the test beds run the gateway and the sandbox on: {@code -Dtests.transport=auto|io_uring|epoll|nio}
 * (pom.xml hands it to the test JVMs; auto, serve's default, when not given), so the whole suite can be run on each.
 */
public final class TestTransport {

    private TestTransport() {
    }

    /** The setting, as {@code server.transport} would hold it. */
    public static NetworkTransport setting() {
        String key = System.getProperty("tests.transport", "auto");
        try {
            return NetworkTransport.of(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tests.transport must be one of auto, io_uring, epoll, nio, not \"" + key + "\"");
        }
    }

    /** What the setting picks on this machine (an explicit transport that cannot run here fails the test bed). */
    public static NetworkTransport.Choice choice() {
        return setting().choose();
    }
}
