package dev.tollgate.gateway.sse;

import io.vertx.core.buffer.Buffer;

/**
 * One server-sent event.
 *
 * @param event the {@code event:} field, or null
 * @param data  the {@code data:} lines joined by newlines, or null for a comment-only block
 * @param raw   the event's bytes as received, terminating blank line included, for relaying it unchanged
 */
public record SseEvent(String event, String data, Buffer raw) {

    public static Buffer data(String data) {
        return Buffer.buffer("data: " + data + "\n\n");
    }

    public static Buffer event(String event, String data) {
        return Buffer.buffer("event: " + event + "\ndata: " + data + "\n\n");
    }
}
