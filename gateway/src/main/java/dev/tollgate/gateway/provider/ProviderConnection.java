package dev.tollgate.gateway.provider;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;

import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One keep-alive connection to a provider, carrying one call at a time. The answer is decoded by Netty's
 * {@code HttpResponseDecoder} ahead of this handler; its parts go to the call's {@link UpstreamCall.Answer} inside the
 * verticle's context, as Vert.x would deliver them.
 */
final class ProviderConnection extends ChannelInboundHandlerAdapter {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ProviderConnection.class);

    private final ConnectionPool pool;
    final Channel channel;
    private UpstreamCall call;
    private boolean keepAlive;
    /** A 1xx head was read: its (empty) content is skipped and the real answer follows. */
    private boolean informational;
    private boolean headSeen;
    /**
     * The whole request has been handed to the socket: from then on the provider may have read it and started on it
     * (a paid generation), so a failure is the call's, never a reason to send it again.
     */
    private boolean written;
    private long lastRead;
    /** When the connection last went back to the pool. */
    long idleSince;
    /** How long it may idle before the pool closes it: the pool's keep-alive, or less where the provider said so. */
    long keepAliveNanos;
    private ScheduledFuture<?> timer;

    ProviderConnection(ConnectionPool pool, Channel channel) {
        this.pool = pool;
        this.channel = channel;
        this.keepAliveNanos = pool.keepAliveNanos();
    }

    /**
     * Sends {@code next} on this connection; {@code reused}: it came from the idle pool and may have gone stale (the pool
     * takes only connections still open, as far as the event loop has read).
     */
    void start(UpstreamCall next, boolean reused) {
        call = next;
        next.connection = this;
        next.retried |= !reused; // only a reused connection can fail for having been idle; a fresh one is not retried
        keepAlive = true;
        headSeen = false;
        informational = false;
        written = false;
        lastRead = System.nanoTime();
        if (next.paused) pause();
        channel.writeAndFlush(next.requestCopy()).addListener(sent -> {
            if (sent.isSuccess() && call == next) written = true;
        });
        timer = channel.eventLoop().schedule(() -> checkIdle(next), pool.idleTimeoutNanos(), TimeUnit.NANOSECONDS);
    }

    void pause() {
        channel.config().setAutoRead(false);
    }

    void resume() {
        lastRead = System.nanoTime();
        channel.config().setAutoRead(true);
    }

    void cancel(UpstreamCall c) {
        fail(c, new CancellationException("the call was cancelled"), false);
    }

    /** The provider has been silent for the configured time (a paused answer is the client's silence, not its). */
    private void checkIdle(UpstreamCall c) {
        if (call != c) return;
        long idle = c.paused ? 0 : System.nanoTime() - lastRead;
        long timeout = pool.idleTimeoutNanos();
        if (idle < timeout) {
            timer = channel.eventLoop().schedule(() -> checkIdle(c), timeout - idle, TimeUnit.NANOSECONDS);
            return;
        }
        ContextInternal previous = pool.context().beginDispatch();
        try {
            fail(c, new TimeoutException("no answer for " + TimeUnit.NANOSECONDS.toMillis(timeout) + " ms"), false);
        } finally {
            pool.context().endDispatch(previous);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamCall c = call;
        if (c == null) { // nothing was asked: a provider talking out of turn cannot be trusted with the next call
            ReferenceCountUtil.release(msg);
            channel.close();
            return;
        }
        ContextInternal previous = pool.context().beginDispatch();
        try {
            read(c, msg);
        } catch (RuntimeException e) { // the answer's own code failed: that call ends, the connection is not to blame
            if (call == c) fail(c, e, false);
            else log.warn("the reply path failed after the provider's answer", e);
        } finally {
            ReferenceCountUtil.release(msg);
            pool.context().endDispatch(previous);
        }
    }

    private void read(UpstreamCall c, Object msg) {
        lastRead = System.nanoTime();
        if (msg instanceof HttpResponse head) {
            if (head.decoderResult().isFailure()) {
                fail(c, head.decoderResult().cause(), true);
                return;
            }
            int status = head.status().code();
            headSeen = true;
            if (status < 200) { // 100 Continue, 103 Early Hints: the answer proper follows
                informational = true;
                return;
            }
            keepAlive = HttpUtil.isKeepAlive(head);
            keepAliveNanos = keepAliveNanos(head.headers().get(HttpHeaderNames.KEEP_ALIVE), pool.keepAliveNanos());
            c.answer.head(status, head.headers());
            if (call != c) return;
        }
        if (msg instanceof HttpContent content) {
            if (content.decoderResult().isFailure()) {
                fail(c, content.decoderResult().cause(), true);
                return;
            }
            if (informational) {
                if (msg instanceof LastHttpContent) informational = false;
                return;
            }
            if (content.content().isReadable()) {
                c.answer.content(BufferInternal.buffer(content.content()));
                if (call != c) return;
            }
            if (msg instanceof LastHttpContent) finish(c);
        }
    }

    /**
     * A provider that says how long it keeps an idle connection ({@code Keep-Alive: timeout=5}, as Node and Apache do)
     * has it closed here a second before, as undici does, so a call seldom goes out on a connection being closed.
     */
    static long keepAliveNanos(String header, long poolNanos) {
        if (header == null) return poolNanos;
        for (String part : header.split(",")) {
            String p = part.strip();
            if (!p.regionMatches(true, 0, "timeout=", 0, 8)) continue;
            try {
                long seconds = Long.parseLong(p.substring(8).strip());
                return Math.max(0, Math.min(poolNanos, TimeUnit.SECONDS.toNanos(seconds - 1)));
            } catch (NumberFormatException e) {
                return poolNanos;
            }
        }
        return poolNanos;
    }

    private void finish(UpstreamCall c) {
        call = null;
        timer.cancel(false);
        c.end();
        c.connection = null;
        if (!channel.config().isAutoRead()) channel.config().setAutoRead(true);
        if (keepAlive && channel.isActive()) pool.release(this); // before the answer's code runs, which may throw
        else channel.close();
        c.answer.end();
    }

    /**
     * Ends the call with {@code cause}, unless it may go again: a reused connection that failed before the whole request
     * was written to it (found closed or reset first), so the provider cannot have started on it. Once it was written,
     * the provider may have read it and be generating: the call fails, and the route's own retries decide (as Envoy's
     * {@code reset-before-request} and RFC 9110 §9.2.2 for a request that is not idempotent).
     */
    private void fail(UpstreamCall c, Throwable cause, boolean retriable) {
        if (call != c || c.done) return;
        call = null;
        timer.cancel(false);
        c.connection = null;
        channel.close();
        if (retriable && !written && !headSeen && !c.retried) {
            c.retried = true;
            pool.retry(c);
            return;
        }
        c.end();
        c.answer.failed(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamCall c = call;
        if (c != null) {
            ContextInternal previous = pool.context().beginDispatch();
            try {
                fail(c, new IOException("the provider closed the connection"
                        + (headSeen ? " before the answer was complete" : written ? " after the request was sent, without answering"
                        : " without answering")), true);
            } finally {
                pool.context().endDispatch(previous);
            }
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        UpstreamCall c = call;
        if (c != null) {
            ContextInternal previous = pool.context().beginDispatch();
            try {
                fail(c, cause, true);
            } finally {
                pool.context().endDispatch(previous);
            }
        }
        channel.close();
    }
}
