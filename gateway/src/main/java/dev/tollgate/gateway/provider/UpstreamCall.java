package dev.tollgate.gateway.provider;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.vertx.core.buffer.Buffer;

/**
 * One request to a provider, from the encoded bytes to the end of the answer. The caller hears back through its
 * {@link Answer} and may slow the answer down ({@link #pause}) or abandon it ({@link #cancel}). Everything happens on
 * the event loop that owns the provider's connections.
 */
public final class UpstreamCall {

    /**
     * What the caller hears, on the event loop: {@code head}, {@code content}…, {@code end} — or {@code failed} at any
     * point instead of the rest. Nothing comes after {@code end} or {@code failed}.
     */
    public interface Answer {

        void head(int status, HttpHeaders headers);

        /** A piece of the body; its bytes are only valid during the call (keep a copy, not the buffer). */
        void content(Buffer chunk);

        void end();

        void failed(Throwable cause);
    }

    final Answer answer;
    /** The whole request (head and body), kept until the call ends: a stale pooled connection means sending it again. */
    private ByteBuf request;
    ConnectionPool pool;
    ProviderConnection connection;
    boolean done;
    boolean paused;
    boolean retried;

    UpstreamCall(Answer answer) {
        this.answer = answer;
    }

    void request(ByteBuf request) {
        this.request = request;
    }

    ByteBuf requestCopy() {
        return request.retainedDuplicate();
    }

    /** Marks the call over and lets go of its request bytes; false when it already was. */
    boolean end() {
        if (done) return false;
        done = true;
        if (request != null) {
            request.release();
            request = null;
        }
        return true;
    }

    /** Stops reading the answer until {@link #resume}, so a slow client is not flooded. */
    public void pause() {
        inLoop(() -> {
            paused = true;
            if (connection != null && !done) connection.pause();
        });
    }

    public void resume() {
        inLoop(() -> {
            paused = false;
            if (connection != null && !done) connection.resume();
        });
    }

    /**
     * Abandons the call: its connection is closed (the provider stops generating) and the answer hears
     * {@code failed} with a {@link java.util.concurrent.CancellationException} unless it has already ended.
     */
    public void cancel() {
        inLoop(() -> {
            if (done) return;
            if (connection != null) connection.cancel(this);
            else if (pool != null) pool.cancel(this);
        });
    }

    private void inLoop(Runnable action) {
        if (pool == null || pool.eventLoop().inEventLoop()) action.run();
        else pool.eventLoop().execute(action);
    }
}
