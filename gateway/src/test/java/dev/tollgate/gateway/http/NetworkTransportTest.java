package dev.tollgate.gateway.http;

import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.ConfigLoader.ConfigException;
import dev.tollgate.gateway.config.GatewayConfig;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code server.transport}: what each value picks, and the errors of one that cannot run here. */
class NetworkTransportTest {

    /**
     * What a container whose seccomp profile refuses io_uring_setup looks like to Vert.x: Netty 4.2.18's reason, as serve
     * printed it under a seccomp filter returning EPERM for io_uring_setup.
     */
    private static final Transport REFUSED_IO_URING = unavailable("io_uring",
            new RuntimeException("failed to create io_uring ring fd: Operation not permitted"));

    @Test
    void theKeyIsReadAndAutoIsTheDefault() {
        assertThat(parse("").server().transport()).isEqualTo(NetworkTransport.AUTO);
        assertThat(parse("server: {transport: io_uring}\n").server().transport()).isEqualTo(NetworkTransport.IO_URING);
        assertThat(parse("server: {transport: epoll}\n").server().transport()).isEqualTo(NetworkTransport.EPOLL);
        assertThat(parse("server: {transport: nio}\n").server().transport()).isEqualTo(NetworkTransport.NIO);
    }

    @Test
    void anUnknownValueIsAOneLineConfigError() {
        assertThatThrownBy(() -> parse("server:\n  transport: kqueue\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("config:2:3: server.transport must be one of auto, io_uring, epoll, nio, not \"kqueue\"");
    }

    @Test
    void anExplicitTransportThatCannotRunHereIsAStartUpErrorWithNettysReason() {
        assertThatThrownBy(() -> NetworkTransport.IO_URING.choose("server.transport", installed(REFUSED_IO_URING, Transport.NIO)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("server.transport: io_uring is not available here (java.lang.RuntimeException: failed to create"
                        + " io_uring ring fd: Operation not permitted); choose auto to use the best one that is");
        assertThatThrownBy(() -> NetworkTransport.EPOLL.choose("server.transport", installed(REFUSED_IO_URING, null)))
                .hasMessage("server.transport: epoll is not available here (its Netty library is not on the classpath);"
                        + " choose auto to use the best one that is");
        // the sandbox's command line chooses the same way and names its own option
        assertThatThrownBy(() -> NetworkTransport.IO_URING.choose("--transport", installed(REFUSED_IO_URING, Transport.NIO)))
                .hasMessageStartingWith("--transport: io_uring is not available here (java.lang.RuntimeException: failed to create");
    }

    @Test
    void autoTakesIoUringThenEpollThenNioAndSaysWhatItPassedOver() {
        Transport epoll = available("epoll");
        Transport ioUring = available("io_uring");
        NetworkTransport.Choice both = NetworkTransport.AUTO.choose("server.transport", installed(ioUring, epoll));
        assertThat(both.transport()).isSameAs(ioUring);
        assertThat(both.describe()).isEqualTo("io_uring");

        // a container whose seccomp profile refuses io_uring_setup: epoll, quietly but for the start-up line
        NetworkTransport.Choice refused = NetworkTransport.AUTO.choose("server.transport", installed(REFUSED_IO_URING, epoll));
        assertThat(refused.transport()).isSameAs(epoll);
        assertThat(refused.describe()).isEqualTo("epoll (io_uring unavailable: java.lang.RuntimeException: failed to create"
                + " io_uring ring fd: Operation not permitted)");

        NetworkTransport.Choice noEpoll = NetworkTransport.AUTO.choose("server.transport", installed(ioUring, null));
        assertThat(noEpoll.transport()).isSameAs(ioUring);
        assertThat(noEpoll.describe()).isEqualTo("io_uring");

        NetworkTransport.Choice nio = NetworkTransport.AUTO.choose("server.transport", installed(REFUSED_IO_URING, null));
        assertThat(nio.transport()).isSameAs(Transport.NIO);
        assertThat(nio.describe()).isEqualTo("nio (io_uring unavailable: java.lang.RuntimeException: failed to create"
                + " io_uring ring fd: Operation not permitted; epoll unavailable: its Netty library is not on the classpath)");
    }

    /** A kernel older than Netty's io_uring needs (5.5): IoUring.isAvailable() is false, with Netty 4.2.18's own reason. */
    @Test
    void autoPassesOverAnIoUringThatLacksAKernelFeature() {
        Transport oldKernel = unavailable("io_uring", new UnsupportedOperationException("IORING_FEAT_SUBMIT_STABLE not supported!"));
        Transport epoll = available("epoll");
        assertThat(NetworkTransport.AUTO.choose("server.transport", installed(oldKernel, epoll)).describe())
                .isEqualTo("epoll (io_uring unavailable: java.lang.UnsupportedOperationException: IORING_FEAT_SUBMIT_STABLE not supported!)");
    }

    @Test
    void anExplicitAvailableTransportIsTakenAsIs() {
        Transport epoll = available("epoll");
        NetworkTransport.Choice choice = NetworkTransport.EPOLL.choose("server.transport", installed(REFUSED_IO_URING, epoll));
        assertThat(choice.transport()).isSameAs(epoll);
        assertThat(choice.describe()).isEqualTo("epoll");
    }

    private static GatewayConfig parse(String yaml) {
        return new ConfigLoader(Map.<String, String>of()::get).parse(yaml);
    }

    /** What this machine would offer, with io_uring and epoll replaced; NIO is Vert.x's own. */
    private static Function<NetworkTransport, Transport> installed(Transport ioUring, Transport epoll) {
        return choice -> switch (choice) {
            case IO_URING -> ioUring;
            case EPOLL -> epoll;
            case NIO -> Transport.NIO;
            case AUTO -> throw new IllegalArgumentException();
        };
    }

    private static Transport available(String name) {
        return transport(name, null);
    }

    private static Transport unavailable(String name, Throwable cause) {
        return transport(name, cause);
    }

    private static Transport transport(String name, Throwable cause) {
        return new Transport() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public boolean available() {
                return cause == null;
            }

            @Override
            public Throwable unavailabilityCause() {
                return cause;
            }

            @Override
            public io.vertx.core.spi.transport.Transport implementation() {
                throw new UnsupportedOperationException("never built on");
            }
        };
    }
}
