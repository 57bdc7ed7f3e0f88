package dev.tollgate.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.internal.buffer.BufferInternal;

import java.io.File;

/**
 * The answer to one {@link ServerRequest}: a status, headers, then either a whole body ({@link #end}) or chunks
 * ({@link #setChunked}, {@link #write}, {@link #end()}), each flushed as written so a stream's events reach the
 * client one by one. The method names are Vert.x's, so code written against its response reads the same.
 * Confined to the connection's event loop.
 */
public final class ServerResponse {

    private static final AsciiString CLOSE = AsciiString.cached("close");
    private static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");

    private final ServerConnection connection;
    private final Channel channel;
    private final boolean http10;
    private final boolean keepAliveAsked;
    private HttpHeaders headers;
    private int status = 200;
    private boolean chunked;
    private boolean headWritten;
    private boolean ended;
    private boolean closed;
    private Handler<Void> closeHandler;
    private Handler<Void> drainHandler;

    ServerResponse(ServerConnection connection, Channel channel, boolean http10, boolean keepAliveAsked) {
        this.connection = connection;
        this.channel = channel;
        this.http10 = http10;
        this.keepAliveAsked = keepAliveAsked;
    }

    public ServerResponse setStatusCode(int status) {
        this.status = status;
        return this;
    }

    public MultiMap headers() {
        if (headers == null) headers = HeadersMultiMap.httpHeaders();
        return (MultiMap) headers;
    }

    /**
     * Takes {@code head} as this response's headers, without copying it when it is already a header map Netty can
     * encode (the stages build theirs that way); any header set before is kept.
     */
    public ServerResponse adoptHeaders(MultiMap head) {
        if (headers == null && head instanceof HeadersMultiMap netty) {
            headers = netty;
        } else {
            headers().addAll(head);
        }
        return this;
    }

    public ServerResponse putHeader(CharSequence name, CharSequence value) {
        headers().set(name, value);
        return this;
    }

    public ServerResponse setChunked(boolean chunked) {
        this.chunked = chunked;
        return this;
    }

    public boolean ended() {
        return ended;
    }

    /** Whether the connection closed before this response ended. */
    public boolean closed() {
        return closed;
    }

    public void closeHandler(Handler<Void> handler) {
        this.closeHandler = handler;
    }

    public boolean writeQueueFull() {
        return !channel.isWritable();
    }

    public void drainHandler(Handler<Void> handler) {
        this.drainHandler = handler;
    }

    /** Writes a chunk of a chunked response (the head first, with the first chunk), flushed at once. */
    public void write(Buffer chunk) {
        if (ended || closed) return;
        if (!headWritten) writeHead(true);
        channel.writeAndFlush(new DefaultHttpContent(byteBuf(chunk)), channel.voidPromise());
    }

    public void end(String body) {
        end(Buffer.buffer(body));
    }

    public void end() {
        if (chunked && headWritten) {
            if (ended || closed) return;
            ended = true;
            channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, channel.voidPromise());
            connection.responseEnded(this);
        } else if (chunked) {
            if (ended || closed) return;
            writeHead(true);
            end();
        } else {
            end(Unpooled.EMPTY_BUFFER);
        }
    }

    public void end(Buffer body) {
        end(byteBuf(body));
    }

    private void end(ByteBuf body) {
        if (ended || closed) return;
        if (chunked) {
            if (body.isReadable()) write(BufferInternal.buffer(body));
            end();
            return;
        }
        ended = true;
        headWritten = true;
        HttpHeaders head = finalHeaders();
        if (!head.contains(HttpHeaderNames.CONTENT_LENGTH)) head.set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        channel.writeAndFlush(new DefaultFullHttpResponse(version(), status(), body, head, EmptyHttpHeaders.INSTANCE),
                channel.voidPromise());
        connection.responseEnded(this);
    }

    /** The file as the whole body (a FOCUS export); the future completes once it is written. */
    public Future<Void> sendFile(String path) {
        Promise<Void> sent = Promise.promise();
        if (ended || closed) {
            sent.fail("the response has ended");
            return sent.future();
        }
        File file = new File(path);
        ended = true;
        headWritten = true;
        HttpHeaders head = finalHeaders();
        head.set(HttpHeaderNames.CONTENT_LENGTH, file.length());
        channel.write(new DefaultHttpResponse(version(), status(), head), channel.voidPromise());
        channel.write(new DefaultFileRegion(file, 0, file.length()));
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> {
            if (f.isSuccess()) sent.complete();
            else sent.fail(f.cause());
        });
        connection.responseEnded(this);
        return sent.future();
    }

    private void writeHead(boolean streaming) {
        headWritten = true;
        HttpHeaders head = finalHeaders();
        if (streaming) head.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        channel.write(new DefaultHttpResponse(version(), status(), head), channel.voidPromise());
    }

    /** The headers with what the connection's keep-alive needs: close when it will close, keep-alive for HTTP/1.0. */
    private HttpHeaders finalHeaders() {
        HttpHeaders head = headers == null ? HeadersMultiMap.httpHeaders() : headers;
        if (!connection.keepsAliveAfter(this)) head.set(HttpHeaderNames.CONNECTION, CLOSE);
        else if (http10) head.set(HttpHeaderNames.CONNECTION, KEEP_ALIVE);
        return head;
    }

    /** Whether the client asked to keep the connection open (HTTP/1.1 unless it said close; 1.0 only if it asked). */
    boolean keepAliveAsked() {
        return keepAliveAsked;
    }

    /** Whether this response's own headers say the connection closes after it. */
    boolean closesConnection() {
        return headers != null && headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
    }

    private io.netty.handler.codec.http.HttpVersion version() {
        return http10 ? io.netty.handler.codec.http.HttpVersion.HTTP_1_0 : io.netty.handler.codec.http.HttpVersion.HTTP_1_1;
    }

    private HttpResponseStatus status() {
        return HttpResponseStatus.valueOf(status);
    }

    /** Vert.x's buffers hand out a view Netty may write and release without touching the buffer itself. */
    private static ByteBuf byteBuf(Buffer buffer) {
        return ((BufferInternal) buffer).getByteBuf();
    }

    /** The connection closed: a response not yet ended will never be, and whoever waits on it hears so. */
    void connectionClosed() {
        if (ended) return;
        closed = true;
        if (closeHandler != null) closeHandler.handle(null);
    }

    void writable() {
        if (drainHandler != null && !ended && !closed) drainHandler.handle(null);
    }
}
