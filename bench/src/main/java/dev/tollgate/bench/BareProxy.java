package dev.tollgate.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.FastThreadLocal;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * The floor a JVM proxy reaches on this machine: Netty on epoll, one keep-alive upstream pool per event loop, the
 * answer's {@code usage} read with Jackson's streaming parser and priced in BigDecimal, and nothing else (no keys,
 * budgets, ledger, journal or metrics). {@code bench/load.sh}'s {@code netty-bare} target, beside nginx and the
 * gateway, shows how much of the gap to nginx is the platform and how much is the gateway's own work.
 *
 * <p>{@code java -cp … dev.tollgate.bench.BareProxy PORT UPSTREAM_PORT [EVENT_LOOPS]}
 */
public final class BareProxy {

    private static final BigDecimal INPUT_PER_TOKEN = new BigDecimal("0.15").movePointLeft(6);
    private static final BigDecimal OUTPUT_PER_TOKEN = new BigDecimal("0.60").movePointLeft(6);
    private static final JsonFactory JSON = new JsonFactory();
    private static final AttributeKey<Channel> CLIENT = AttributeKey.valueOf("client");
    /** Keep-alive upstream connections of the calling event loop. */
    private static final FastThreadLocal<ArrayDeque<Channel>> POOL = new FastThreadLocal<>() {
        @Override
        protected ArrayDeque<Channel> initialValue() {
            return new ArrayDeque<>();
        }
    };
    /** What was priced, so the JIT cannot drop the work; printed at exit. */
    private static volatile BigDecimal lastCost = BigDecimal.ZERO;

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        InetSocketAddress upstream = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1]));
        int loops = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, EpollIoHandler.newFactory());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("last cost " + lastCost)));
        Bootstrap client = new Bootstrap().channel(EpollSocketChannel.class).option(ChannelOption.TCP_NODELAY, true)
                .remoteAddress(upstream).handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20), new Answer());
                    }
                });
        new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Request(client));
                    }
                }).bind(port).sync().channel().closeFuture().sync();
    }

    /** A client's request, sent upstream on a pooled connection of the same event loop. */
    private static final class Request extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Bootstrap client;

        Request(Bootstrap client) {
            this.client = client;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpRequest out = new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                    request.content().retain());
            out.headers().set(HttpHeaderNames.HOST, "127.0.0.1")
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .set(HttpHeaderNames.AUTHORIZATION, request.headers().get(HttpHeaderNames.AUTHORIZATION))
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, out.content().readableBytes());
            Channel pooled = POOL.get().pollLast();
            if (pooled != null && pooled.isActive()) {
                send(pooled, ctx.channel(), out);
                return;
            }
            EventLoop loop = ctx.channel().eventLoop();
            client.clone(loop).connect().addListener(f -> {
                if (f.isSuccess()) send(((io.netty.channel.ChannelFuture) f).channel(), ctx.channel(), out);
                else {
                    out.release();
                    ctx.close();
                }
            });
        }

        private static void send(Channel upstream, Channel clientChannel, FullHttpRequest out) {
            upstream.attr(CLIENT).set(clientChannel);
            upstream.writeAndFlush(out);
        }
    }

    /** The provider's answer: usage priced, passed to the client, the connection back in the pool. */
    private static final class Answer extends SimpleChannelInboundHandler<FullHttpResponse> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse answer) throws IOException {
            lastCost = price(answer);
            Channel clientChannel = ctx.channel().attr(CLIENT).getAndSet(null);
            POOL.get().addLast(ctx.channel());
            FullHttpResponse reply = new DefaultFullHttpResponse(answer.protocolVersion(), answer.status(), answer.content().retain());
            reply.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, reply.content().readableBytes());
            if (clientChannel != null) clientChannel.writeAndFlush(reply);
            else reply.release();
        }

        private static BigDecimal price(FullHttpResponse answer) throws IOException {
            long prompt = 0, completion = 0;
            try (JsonParser p = JSON.createParser((java.io.InputStream) new ByteBufInputStream(answer.content().duplicate()))) {
                while (p.nextToken() != null) {
                    if (p.currentToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        if (name.equals("prompt_tokens")) { p.nextToken(); prompt = p.getLongValue(); }
                        else if (name.equals("completion_tokens")) { p.nextToken(); completion = p.getLongValue(); }
                        else if (name.equals("choices")) { p.nextToken(); p.skipChildren(); }
                    }
                }
            }
            return INPUT_PER_TOKEN.multiply(BigDecimal.valueOf(prompt)).add(OUTPUT_PER_TOKEN.multiply(BigDecimal.valueOf(completion)));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            POOL.get().remove(ctx.channel());
        }
    }
}
