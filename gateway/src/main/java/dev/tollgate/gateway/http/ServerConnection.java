package dev.tollgate.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One client connection, HTTP/1.1 over Netty's codecs: reads each request with its whole body, hands it to the
 * {@link Requests} of the event loop it lives on, and answers requests in the order they came (a pipelined request
 * waits, unread, until the one before it is answered). A connection closes after an answer when the client asked
 * for it, when a body was refused, or when the gateway stops.
 */
final class ServerConnection extends ChannelInboundHandlerAdapter {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ServerConnection.class);

    /** What an event loop does with whole requests. */
    interface Requests {
        void handle(ServerRequest request);

        /** The body is over {@code server.max_body_bytes}: answer 413 (the connection closes after it). */
        void tooLarge(ServerRequest request, long limit);
    }

    /** Pipelined messages held while a request is answered; past this many the socket is not read further. */
    private static final int HELD_BEFORE_PAUSE = 16;

    /** How long a connection that refused a body keeps reading (and dropping) it after the answer; see {@link #linger}. */
    private static final long LINGER_MS = 2_000;

    private final Requests requests;
    private final ContextInternal context;
    private final ClientConnections connections;
    private final long maxBodyBytes;
    final String address;
    final boolean admitted;
    /** System.nanoTime() by which the next request head must have arrived; MAX_VALUE while one is in flight. */
    long deadline;

    private ChannelHandlerContext ctx;
    /** The request whose body is being read; null between requests. */
    private ServerRequest reading;
    private Buffer body;
    private boolean gathering;
    /** The answer in flight; null when idle. */
    private ServerResponse current;
    /** After a refused body: the rest of the connection's input is dropped until it closes. */
    private boolean discarding;
    private boolean closing;
    private ArrayDeque<Object> held;

    ServerConnection(Requests requests, ContextInternal context, ClientConnections connections, long maxBodyBytes,
                     String address, boolean admitted) {
        this.requests = requests;
        this.context = context;
        this.connections = connections;
        this.maxBodyBytes = maxBodyBytes;
        this.address = address;
        this.admitted = admitted;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (discarding || closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (current != null || (held != null && !held.isEmpty())) {
            hold(msg);
            return;
        }
        // as the verticle's context: stages find it with Vertx.currentContext() to come back to this event loop
        ContextInternal previous = context.beginDispatch();
        try {
            read(msg);
        } catch (RuntimeException e) {
            log.error("a request failed inside the gateway; its connection is closed", e);
            ctx.close();
        } finally {
            context.endDispatch(previous);
        }
    }

    private void hold(Object msg) {
        if (held == null) held = new ArrayDeque<>(4);
        held.add(msg);
        if (held.size() >= HELD_BEFORE_PAUSE) ctx.channel().config().setAutoRead(false);
    }

    private void read(Object msg) {
        if (discarding || closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest head) {
            head(head);
        }
        if (msg instanceof HttpContent content) {
            if (reading != null) content(content);
            else content.release();
        }
    }

    private void head(HttpRequest head) {
        DecoderResult result = head.decoderResult();
        if (result.isFailure()) {
            malformed(result.cause());
            return;
        }
        connections.started(this);
        boolean http10 = head.protocolVersion().equals(HttpVersion.HTTP_1_0);
        HttpHeaders headers = head.headers();
        boolean keepAlive = http10 ? headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE, true)
                : !headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
        ServerResponse response = new ServerResponse(this, ctx.channel(), http10, keepAlive);
        ServerRequest request = new ServerRequest(head, response);
        if (!admitted) {
            answer(request);
            discarding = true;
            connections.refuse(request);
            return;
        }
        long declared = declaredLength(headers);
        if (declared > maxBodyBytes) {
            refuseBody(request);
            return;
        }
        if (!http10 && headers.containsValue(HttpHeaderNames.EXPECT, HttpHeaderValues.CONTINUE, true)) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER),
                    ctx.voidPromise());
        }
        reading = request;
        body = null;
        gathering = false;
    }

    /** Takes {@code content} over: its buffer is copied and released. */
    private void content(HttpContent content) {
        ByteBuf bytes = content.content();
        if (!bytes.isReadable()) {
            content.release();
        } else {
            // a heap copy of the gateway's own, as Vert.x made, and Netty's pooled buffer released at once
            Buffer chunk = BufferInternal.safeBuffer(bytes);
            if (body == null) {
                body = chunk;
            } else {
                if (!gathering) {
                    body = Buffer.buffer(body.length() + chunk.length() + 1024).appendBuffer(body);
                    gathering = true;
                }
                body.appendBuffer(chunk);
            }
            if (body.length() > maxBodyBytes) {
                ServerRequest request = reading;
                reading = null;
                body = null;
                refuseBody(request);
                return;
            }
        }
        if (content instanceof LastHttpContent) {
            ServerRequest request = reading;
            reading = null;
            request.body(body == null ? Buffer.buffer() : body);
            body = null;
            answer(request);
            requests.handle(request);
        }
    }

    /** The rest of the body is not read, so the connection cannot be reused. */
    private void refuseBody(ServerRequest request) {
        discarding = true;
        answer(request);
        requests.tooLarge(request, maxBodyBytes);
    }

    private void answer(ServerRequest request) {
        current = request.response();
    }

    private void malformed(Throwable cause) {
        discarding = true;
        int status = cause instanceof TooLongHttpLineException ? 414
                : cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException ? 431 : 400;
        var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), Unpooled.EMPTY_BUFFER);
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0).set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        closing = true;
        ctx.writeAndFlush(response).addListener((ChannelFutureListener) this::linger);
    }

    private static long declaredLength(HttpHeaders headers) {
        String value = headers.get(HttpHeaderNames.CONTENT_LENGTH);
        if (value == null) return -1;
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Whether the connection stays open after {@code response}. */
    boolean keepsAliveAfter(ServerResponse response) {
        return !discarding && !closing && response.keepAliveAsked() && !response.closesConnection() && !connections.stopping();
    }

    /** Called by a response as its last byte is written: the next request may be read, or the connection closes. */
    void responseEnded(ServerResponse response) {
        if (response != current) return;
        boolean keepAlive = keepsAliveAfter(response);
        current = null;
        connections.answered(this);
        if (!keepAlive) {
            close();
            return;
        }
        while (current == null && held != null && !held.isEmpty()) read(held.poll());
        if (current == null && !ctx.channel().config().isAutoRead()) ctx.channel().config().setAutoRead(true);
    }

    /** Closes once what was written has gone out. */
    void close() {
        if (closing) return;
        closing = true;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(discarding ? (ChannelFutureListener) this::linger : ChannelFutureListener.CLOSE);
    }

    /**
     * A lingering close, as nginx makes one: the client may still be sending the body that was refused, and closing a
     * socket with input unread sends a reset, which can destroy the answer before the client has read it. So the answer
     * is followed by a FIN, the client's bytes are read and dropped, and the socket closes when the client closes its
     * side or after {@link #LINGER_MS}.
     */
    private void linger(ChannelFuture written) {
        Channel channel = written.channel();
        if (!written.isSuccess() || !(channel instanceof DuplexChannel duplex)) {
            channel.close();
            return;
        }
        channel.config().setAutoRead(true);
        duplex.shutdownOutput();
        channel.eventLoop().schedule(() -> channel.close(), LINGER_MS, TimeUnit.MILLISECONDS);
    }

    /** Closes now if no request is being read or answered (the gateway is stopping); else after its answer. */
    void closeIfIdle() {
        if (current == null && reading == null) close();
    }

    void closeNow() {
        ctx.channel().close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        connections.closed(this);
        if (held != null) held.forEach(ReferenceCountUtil::release);
        held = null;
        ServerResponse response = current;
        current = null;
        reading = null;
        if (response == null) return;
        ContextInternal previous = context.beginDispatch();
        try {
            response.connectionClosed();
        } finally {
            context.endDispatch(previous);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (current == null || !ctx.channel().isWritable()) return;
        ContextInternal previous = context.beginDispatch();
        try {
            current.writable();
        } finally {
            context.endDispatch(previous);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection failed", cause);
        ctx.close(); // a reset by the client, mostly: its response's close handler tells whoever waits
    }
}
