package dev.tollgate.gateway.provider;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.SSLException;
import java.io.UncheckedIOException;

/** The TLS client settings for https providers: the JDK's trusted certificates, and HTTP/1.1 offered over ALPN. */
final class Tls {

    private static volatile SslContext client;

    private Tls() {
    }

    /** One context for every provider and event loop (building one reads the trust store). */
    static SslContext client() {
        SslContext context = client;
        if (context == null) {
            synchronized (Tls.class) {
                if (client == null) client = build(SslContextBuilder.forClient());
                context = client;
            }
        }
        return context;
    }

    /** {@code builder} with the gateway's protocol settings; tests pass one that trusts their own certificate. */
    static SslContext build(SslContextBuilder builder) {
        try {
            return builder
                    .endpointIdentificationAlgorithm("HTTPS")
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_1_1))
                    .build();
        } catch (SSLException e) {
            throw new UncheckedIOException(e);
        }
    }
}
