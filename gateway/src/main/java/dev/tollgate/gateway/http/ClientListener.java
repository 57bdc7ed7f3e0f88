package dev.tollgate.gateway.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.impl.VertxEventLoopGroup;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The gateway's client port, shared by its verticles as Vert.x shares a server: one acceptor thread hands each new
 * connection to the verticles' event loops in turn, and the connection then lives on that loop, beside the provider
 * connections its requests use. Bound when the first verticle joins, closed when the last one leaves.
 */
public final class ClientListener {

    private final VertxInternal vertx;
    private final int port;
    private final VertxEventLoopGroup workers = new VertxEventLoopGroup();
    /** How each verticle sets up the connections given to its event loop. */
    private final Map<EventLoop, Consumer<Channel>> verticles = new ConcurrentHashMap<>();
    private Future<Channel> bound;

    public ClientListener(Vertx vertx, int port) {
        this.vertx = (VertxInternal) vertx;
        this.port = port;
    }

    /** Starts giving connections to {@code loop}, where {@code setUp} completes each one's pipeline. */
    synchronized Future<Void> join(EventLoop loop, Consumer<Channel> setUp) {
        verticles.put(loop, setUp);
        workers.addWorker(loop);
        if (bound == null) bound = bind();
        return bound.mapEmpty();
    }

    /** Stops giving connections to {@code loop}; the last verticle to leave closes the port. */
    synchronized Future<Void> leave(EventLoop loop) {
        workers.removeWorker(loop);
        verticles.remove(loop);
        if (workers.workerCount() > 0 || bound == null) return Future.succeededFuture();
        Future<Channel> server = bound;
        bound = null;
        return server.compose(channel -> {
            Promise<Void> closed = Promise.promise();
            channel.close().addListener(f -> closed.complete());
            return closed.future();
        }, failure -> Future.succeededFuture());
    }

    private Future<Channel> bind() {
        Promise<Channel> promise = Promise.promise();
        new ServerBootstrap()
                .group(vertx.acceptorEventLoopGroup(), workers)
                .channelFactory(vertx.transport().serverChannelFactory(false))
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        Consumer<Channel> setUp = verticles.get(channel.eventLoop());
                        if (setUp == null) channel.close(); // its verticle left as it was accepted
                        else setUp.accept(channel);
                    }
                })
                .bind(port)
                .addListener(f -> {
                    if (f.isSuccess()) promise.complete(((io.netty.channel.ChannelFuture) f).channel());
                    else promise.fail(f.cause());
                });
        return promise.future();
    }
}
