package dev.tollgate.gateway.http;

import dev.tollgate.gateway.config.ConfigLoader.ConfigException;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.transport.Transport;

import java.util.Locale;
import java.util.function.Function;

/**
 * {@code server.transport}: how the gateway's sockets talk to the kernel. Its client port ({@link ClientListener}) and
 * its provider connections take their channels from the Vert.x instance, so the choice is made once, where that is
 * built. io_uring costs the fewest system calls, epoll is Linux's readiness API, NIO is the JDK's and works everywhere.
 */
public enum NetworkTransport {
    AUTO, IO_URING, EPOLL, NIO;

    /**
     * The transports {@link #AUTO} tries, in order: io_uring makes the fewest system calls (8–19% less CPU per request
     * than epoll in BENCHMARKS.md's quieter runs). It is taken only where Netty could set up a ring here
     * ({@code IoUring.isAvailable()}): a container whose seccomp profile refuses {@code io_uring_setup}, or a kernel
     * without the features Netty needs, gets epoll.
     */
    private static final NetworkTransport[] PREFERENCE = {IO_URING, EPOLL, NIO};

    /** As written in the configuration: auto, io_uring, epoll, nio. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static NetworkTransport of(String key) {
        return valueOf(key.toUpperCase(Locale.ROOT)); // the schema has checked it is one of the four
    }

    /**
     * The transport this setting means on this machine. An explicit one that cannot run here is a configuration error
     * with Netty's reason (io_uring: many container runtimes' seccomp profiles refuse {@code io_uring_setup}).
     */
    public Choice choose() {
        return choose("server.transport");
    }

    /** As {@link #choose()}, where the choice was made as {@code setting} (serve's key, the sandbox's option). */
    public Choice choose(String setting) {
        return choose(setting, NetworkTransport::installed);
    }

    /** As {@link #choose(String)}, with {@code installed} saying what Vert.x offers for each (null: not on the classpath). */
    Choice choose(String setting, Function<NetworkTransport, Transport> installed) {
        if (this != AUTO) {
            Transport transport = installed.apply(this);
            String unavailable = unavailability(transport);
            if (unavailable != null) throw new ConfigException(setting + ": " + key() + " is not available here ("
                    + unavailable + "); choose auto to use the best one that is");
            return new Choice(transport, null);
        }
        StringBuilder passedOver = new StringBuilder();
        for (NetworkTransport candidate : PREFERENCE) {
            Transport transport = installed.apply(candidate);
            String unavailable = unavailability(transport);
            if (unavailable == null) return new Choice(transport, passedOver.isEmpty() ? null : passedOver.toString());
            passedOver.append(passedOver.isEmpty() ? "" : "; ").append(candidate.key()).append(" unavailable: ").append(unavailable);
        }
        throw new IllegalStateException("NIO is always available"); // Vert.x's NIO transport has no precondition
    }

    /** Why {@code transport} cannot run here, on one line; null when it can. */
    private static String unavailability(Transport transport) {
        if (transport == null) return "its Netty library is not on the classpath";
        if (transport.available()) return null;
        Throwable cause = transport.unavailabilityCause();
        return cause == null ? "no reason given" : cause.toString().lines().findFirst().orElse("").strip();
    }

    private static Transport installed(NetworkTransport choice) {
        return switch (choice) {
            case IO_URING -> Transport.IO_URING;
            case EPOLL -> Transport.EPOLL;
            case NIO -> Transport.NIO;
            case AUTO -> throw new IllegalArgumentException("auto is a choice among the others");
        };
    }

    /**
     * What {@link #choose} picked.
     *
     * @param transport  Vert.x's transport
     * @param passedOver for {@code auto}, the preferred ones it could not use and why; null when it took the first
     */
    public record Choice(Transport transport, String passedOver) {

        /** A Vert.x instance on this transport. */
        public Vertx vertx(VertxOptions options) {
            return Vertx.builder().with(options).withTransport(transport).build();
        }

        /** For the start-up line: "io_uring", or "epoll (io_uring unavailable: …)". */
        public String describe() {
            return transport.name() + (passedOver == null ? "" : " (" + passedOver + ")");
        }
    }
}
