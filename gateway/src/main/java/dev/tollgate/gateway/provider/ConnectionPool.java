package dev.tollgate.gateway.provider;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.internal.ContextInternal;

import io.netty.util.NetUtil;
import io.netty.util.concurrent.ScheduledFuture;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;

/**
 * The keep-alive connections from one event loop to one provider, opened on that event loop with Vert.x's transport
 * (io_uring, epoll or NIO: server.transport) and its name resolver. Up to {@code max} connections; calls beyond that wait for one.
 * Not thread-safe: everything runs on the event loop.
 */
final class ConnectionPool {

    /**
     * Idle connections older than this are closed: a NAT or a provider may drop them silently, and one the provider
     * closes just as a call goes out costs that call. Below the 60 s idle timeout of AWS's load balancers and nginx's
     * 75 s; a provider that announces a shorter one ({@code Keep-Alive: timeout=N}) is believed.
     */
    static final Duration KEEP_ALIVE = Duration.ofSeconds(50);

    private final ContextInternal context;
    private final EventLoop eventLoop;
    private final Bootstrap bootstrap;
    private final long idleTimeoutNanos;
    private final long keepAliveNanos;
    private final int max;
    /** Most recently used first: the warm connections are reused and the rest may be closed by the provider. */
    private final ArrayDeque<ProviderConnection> idle = new ArrayDeque<>();
    private final ArrayDeque<UpstreamCall> waiting = new ArrayDeque<>();
    private final Set<Channel> open = new HashSet<>();
    private final ScheduledFuture<?> sweeper;
    private boolean closed;

    ConnectionPool(ContextInternal context, String host, int port, SslContext tls, Duration connectTimeout,
                   Duration idleTimeout, int max, Duration keepAlive) {
        this.context = context;
        this.eventLoop = context.nettyEventLoop();
        this.idleTimeoutNanos = idleTimeout.toNanos();
        this.keepAliveNanos = keepAlive.toNanos();
        this.max = max;
        HttpDecoderConfig decoding = new HttpDecoderConfig().setValidateHeaders(false).setMaxChunkSize(65536);
        this.bootstrap = new Bootstrap()
                .group(eventLoop)
                .channelFactory(context.owner().transport().channelFactory(false))
                .resolver(context.owner().nameResolver().nettyAddressResolverGroup())
                .remoteAddress(InetSocketAddress.createUnresolved(host, port))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        if (tls != null) channel.pipeline().addLast(tlsHandler(tls, channel, host, port));
                        channel.pipeline().addLast(new HttpResponseDecoder(decoding), new ProviderConnection(ConnectionPool.this, channel));
                    }
                });
        long sweep = Math.max(1, Math.min(TimeUnit.SECONDS.toMillis(15), keepAlive.toMillis() / 2));
        this.sweeper = eventLoop.scheduleWithFixedDelay(this::closeExpired, sweep, sweep, TimeUnit.MILLISECONDS);
    }

    private void closeExpired() {
        long now = System.nanoTime();
        idle.removeIf(connection -> {
            if (!expired(connection, now)) return false;
            connection.channel.close();
            return true;
        });
    }

    private static boolean expired(ProviderConnection connection, long now) {
        return now - connection.idleSince >= connection.keepAliveNanos;
    }

    /** SNI with the provider's name, and its certificate checked against that name as HTTPS clients do. */
    private static SslHandler tlsHandler(SslContext tls, Channel channel, String host, int port) {
        SslHandler handler = tls.newHandler(channel.alloc(), host, port);
        SSLEngine engine = handler.engine();
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        // the JDK leaves out names without a dot (localhost, a container's name); providers behind a shared front need it
        if (!NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host)) parameters.setServerNames(List.of(new SNIHostName(host)));
        engine.setSSLParameters(parameters);
        return handler;
    }

    ContextInternal context() {
        return context;
    }

    EventLoop eventLoop() {
        return eventLoop;
    }

    long idleTimeoutNanos() {
        return idleTimeoutNanos;
    }

    long keepAliveNanos() {
        return keepAliveNanos;
    }

    int openConnections() {
        return open.size();
    }

    /** Sends the call on an idle connection, a new one, or the next one free. */
    void send(UpstreamCall call) {
        call.pool = this;
        if (closed) {
            fail(call, new IllegalStateException("the gateway is shutting down"));
            return;
        }
        ProviderConnection connection;
        long now = System.nanoTime();
        while ((connection = idle.pollFirst()) != null) {
            if (connection.channel.isActive() && !expired(connection, now)) {
                connection.start(call, true);
                return;
            }
            connection.channel.close();
        }
        if (open.size() < max) connect(call);
        else waiting.addLast(call);
    }

    /** A call whose pooled connection was found closed before its request was written goes once more, on a connection of its own. */
    void retry(UpstreamCall call) {
        if (closed) fail(call, new IllegalStateException("the gateway is shutting down"));
        else if (open.size() < max) connect(call);
        else waiting.addFirst(call);
    }

    private void connect(UpstreamCall call) {
        ChannelFuture connecting = bootstrap.connect();
        Channel channel = connecting.channel();
        open.add(channel);
        channel.closeFuture().addListener(closed -> {
            open.remove(channel);
            ProviderConnection connection = channel.pipeline().get(ProviderConnection.class);
            if (connection != null) idle.remove(connection);
            if (!waiting.isEmpty() && open.size() < max && !this.closed) connect(waiting.pollFirst());
        });
        connecting.addListener(connected -> {
            if (call.done) { // cancelled while connecting
                if (connected.isSuccess()) release(channel.pipeline().get(ProviderConnection.class));
                return;
            }
            if (connected.isSuccess()) {
                channel.pipeline().get(ProviderConnection.class).start(call, false);
            } else {
                ContextInternal previous = context.beginDispatch();
                try {
                    fail(call, connected.cause());
                } finally {
                    context.endDispatch(previous);
                }
            }
        });
    }

    /** A connection done with its call: the next waiting call gets it, or it idles. */
    void release(ProviderConnection connection) {
        if (closed) {
            connection.channel.close();
            return;
        }
        UpstreamCall next = waiting.pollFirst();
        if (next != null) {
            connection.start(next, true);
        } else {
            connection.idleSince = System.nanoTime();
            idle.addFirst(connection);
        }
    }

    /** A call cancelled before it had a connection. */
    void cancel(UpstreamCall call) {
        waiting.remove(call);
        fail(call, new CancellationException("the call was cancelled"));
    }

    private static void fail(UpstreamCall call, Throwable cause) {
        if (call.end()) call.answer.failed(cause);
    }

    void close() {
        Runnable closing = () -> {
            closed = true;
            sweeper.cancel(false);
            while (!waiting.isEmpty()) fail(waiting.pollFirst(), new IllegalStateException("the gateway is shutting down"));
            idle.clear();
            for (Channel channel : open.toArray(Channel[]::new)) channel.close();
        };
        if (eventLoop.inEventLoop()) closing.run();
        else eventLoop.execute(closing);
    }
}
