package dev.tollgate.sandbox;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

import java.util.ArrayList;
import java.util.List;

/**
 * A server-sent event stream, written whole first and then played: the head at once, the events before the first
 * token right after it, then a wait of the time to first token, then the token events at the configured rate. With
 * no delays and no pacing the whole stream leaves in a single write. A cut stream stops after about half of its
 * token events and closes the connection without ending the response, as a dropped upstream does.
 */
final class SseStream {

    private static final CharSequence EVENT_STREAM = HttpHeaders.createOptimized("text/event-stream; charset=utf-8");
    private static final CharSequence NO_CACHE = HttpHeaders.createOptimized("no-cache");

    private final Call call;
    private final List<String> events = new ArrayList<>();
    /** Index of each token-bearing event in {@link #events}. */
    private final List<Integer> tokenEvents = new ArrayList<>();

    private HttpServerResponse response;
    private int next;
    private int end;
    private int tokensSent;
    private long pacingStartNanos;

    SseStream(Call call) {
        this.call = call;
    }

    /** An OpenAI-style event: {@code data: JSON}. */
    SseStream data(String json) {
        events.add("data: " + json + "\n\n");
        return this;
    }

    /** A typed event: {@code event: TYPE} then {@code data: JSON}. */
    SseStream event(String type, String json) {
        events.add("event: " + type + "\ndata: " + json + "\n\n");
        return this;
    }

    /** Marks the last event added as carrying one output token: it is paced and counts toward a cut. */
    SseStream token() {
        tokenEvents.add(events.size() - 1);
        return this;
    }

    void play() {
        if (call.opening != Fault.NONE) {
            playRefusal();
            return;
        }
        response = call.request.response();
        response.setChunked(true)
                .putHeader(HttpHeaders.CONTENT_TYPE, EVENT_STREAM)
                .putHeader(HttpHeaders.CACHE_CONTROL, NO_CACHE)
                .putHeader(call.dialect.requestIdHeader, call.requestId);
        end = call.cut ? cutPoint() : events.size();
        long ttft = call.timeToFirstTokenMs();
        int firstToken = tokenEvents.isEmpty() ? end : Math.min(tokenEvents.get(0), end);
        if (ttft <= 0 && call.config.tokensPerSecond() <= 0 && !call.cut) {
            response.end(Buffer.buffer(join(0, end)));  // one write, one flush: the benchmark's path
            return;
        }
        writeUpTo(firstToken);
        if (firstToken == 0) response.writeHead();
        call.vertx.setTimer(Math.max(1, ttft), id -> {
            pacingStartNanos = System.nanoTime();
            emit();
        });
    }

    /** Sends every event whose token is due by now, then waits for the next one. */
    private void emit() {
        if (response.closed()) return;
        double rate = call.config.tokensPerSecond();
        if (rate <= 0) {
            writeUpTo(end);
            finish();
            return;
        }
        double elapsedSeconds = (System.nanoTime() - pacingStartNanos) / 1e9;
        int due = 1 + (int) (elapsedSeconds * rate);
        int until = due >= tokenEvents.size() ? end : Math.min(end, tokenEvents.get(due));
        writeUpTo(until);
        tokensSent = Math.max(tokensSent, Math.min(due, tokenEvents.size()));
        if (next >= end) {
            finish();
            return;
        }
        long waitMs = Math.max(1, (long) Math.ceil((tokensSent / rate - elapsedSeconds) * 1000));
        call.vertx.setTimer(waitMs, id -> emit());
    }

    private void writeUpTo(int until) {
        if (until <= next) return;
        String chunk = join(next, until);
        next = until;
        response.write(Buffer.buffer(chunk));
    }

    private String join(int from, int until) {
        int length = 0;
        for (int i = from; i < until; i++) length += events.get(i).length();
        StringBuilder chunk = new StringBuilder(length);
        for (int i = from; i < until; i++) chunk.append(events.get(i));
        return chunk.toString();
    }

    private void finish() {
        if (call.cut) {
            call.request.connection().close();
        } else {
            response.end();
        }
    }

    /** The head and the events before the first token, then the opening fault (stream-error, stall, malformed). */
    private void playRefusal() {
        response = call.request.response();
        response.setChunked(true)
                .putHeader(HttpHeaders.CONTENT_TYPE, EVENT_STREAM)
                .putHeader(HttpHeaders.CACHE_CONTROL, NO_CACHE)
                .putHeader(call.dialect.requestIdHeader, call.requestId);
        if (call.opening == Fault.MALFORMED) {
            response.end("data: {\"id\": not json\n\n");
            return;
        }
        writeUpTo(tokenEvents.isEmpty() ? 1 : tokenEvents.get(0));
        if (next == 0) response.writeHead();
        if (call.opening == Fault.STALL) return; // the connection stays open, silent
        String error;
        if (call.dialect == Dialect.ANTHROPIC) {
            error = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        } else if (events.get(0).startsWith("event:")) {
            error = "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"The server had an error while processing your request.\",\"param\":null}\n\n";
        } else {
            error = "data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";
        }
        response.end(Buffer.buffer(error));
    }

    /** Where a cut stream stops: after half of its token events, or half of all events when none carry tokens. */
    private int cutPoint() {
        if (tokenEvents.size() < 2) return events.size() / 2;
        return tokenEvents.get(tokenEvents.size() / 2 - 1) + 1;
    }
}
