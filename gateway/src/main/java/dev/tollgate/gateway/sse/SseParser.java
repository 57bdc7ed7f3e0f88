package dev.tollgate.gateway.sse;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Splits a byte stream into server-sent events as the bytes arrive (events may span network chunks, and a chunk
 * may hold many events). Accepts LF, CRLF and CR line endings, as the SSE specification does.
 */
public final class SseParser {

    private final Consumer<SseEvent> onEvent;
    private Buffer pending = Buffer.buffer();

    public SseParser(Consumer<SseEvent> onEvent) {
        this.onEvent = onEvent;
    }

    public void feed(Buffer chunk) {
        pending = pending.length() == 0 ? chunk.copy() : pending.appendBuffer(chunk);
        int start = 0;
        int end;
        while ((end = eventEnd(pending, start, pending.length())) >= 0) {
            if (end - start > 2 || !isBlank(pending, start, end)) emit(pending.getBuffer(start, end));
            start = end;
        }
        if (start > 0) pending = pending.getBuffer(start, pending.length());
    }

    /** The index just past the first blank line at or after {@code from}, or -1 when the event is not complete yet. */
    private static int eventEnd(Buffer b, int from, int len) {
        boolean lineEmpty = true;
        for (int i = from; i < len; ) {
            byte c = b.getByte(i);
            if (c == '\n' || c == '\r') {
                int next = i + 1;
                if (c == '\r') {
                    if (next >= len) return -1;
                    if (b.getByte(next) == '\n') next++;
                }
                if (lineEmpty) return next;
                lineEmpty = true;
                i = next;
            } else {
                lineEmpty = false;
                i++;
            }
        }
        return -1;
    }

    private static boolean isBlank(Buffer b, int from, int to) {
        for (int i = from; i < to; i++) {
            byte c = b.getByte(i);
            if (c != '\n' && c != '\r') return false;
        }
        return true;
    }

    /** Whatever is left when the stream ends without a final blank line. */
    public void finish() {
        if (pending.length() > 0 && !pending.toString(StandardCharsets.UTF_8).isBlank()) {
            emit(pending.copy().appendString("\n\n"));
        }
        pending = Buffer.buffer();
    }

    private void emit(Buffer raw) {
        String text = raw.toString(StandardCharsets.UTF_8);
        String event = null;
        StringBuilder data = null;
        for (String line : text.split("\r\n|\r|\n")) {
            if (line.isEmpty() || line.charAt(0) == ':') continue;
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) value = value.substring(1);
            if (field.equals("event")) {
                event = value;
            } else if (field.equals("data")) {
                if (data == null) data = new StringBuilder(value);
                else data.append('\n').append(value);
            }
        }
        onEvent.accept(new SseEvent(event, data == null ? null : data.toString(), raw));
    }
}
