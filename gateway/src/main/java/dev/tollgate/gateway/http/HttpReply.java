package dev.tollgate.gateway.http;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.ClientConnection;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.gateway.sse.SseEvent;
import dev.tollgate.gateway.AsciiHeaders;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/** The outermost sink: writes the reply to the client's HTTP response. */
final class HttpReply implements ReplySink, ClientConnection {

    static final String REQUEST_ID_HEADER = "x-tollgate-request-id";
    private static final AsciiString REQUEST_ID_NAME = AsciiString.cached(REQUEST_ID_HEADER);

    private final ServerResponse response;
    private final Exchange exchange;
    private boolean started;
    private boolean streaming;
    private Buffer body;

    HttpReply(ServerResponse response, Exchange exchange) {
        this.response = response;
        this.exchange = exchange;
    }

    @Override
    public void usage(Usage usage, String servedModel, boolean estimated) {
    }

    @Override
    public void start(int status, MultiMap headers) {
        if (gone()) return;
        started = true;
        response.setStatusCode(status).adoptHeaders(headers);
        response.headers().set(REQUEST_ID_NAME, AsciiHeaders.of(exchange.requestId()));
        String contentType = headers.get(AsciiHeaders.CONTENT_TYPE);
        streaming = contentType != null && contentType.startsWith("text/event-stream");
        if (streaming) response.setChunked(true);
    }

    @Override
    public void data(Buffer chunk) {
        if (gone()) return;
        if (streaming) response.write(chunk);
        else body = body == null ? chunk : body.copy().appendBuffer(chunk);
    }

    @Override
    public void end() {
        if (gone()) return;
        if (streaming || body == null) response.end();
        else response.end(body);
    }

    @Override
    public void fail(GatewayError error) {
        if (gone()) return;
        if (!started) {
            started = true;
            answer(response, error, exchange.format(), exchange.requestId());
            return;
        }
        if (streaming && !error.inStream()) {
            String json = error.render(exchange.format(), exchange.requestId()).toString();
            response.write(exchange.format() == WireFormat.ANTHROPIC ? SseEvent.event("error", json) : SseEvent.data(json));
        }
        response.end();
    }

    /**
     * Answers {@code error}. An error answer carries one request id: the one in the ledger, in
     * {@code x-tollgate-request-id}, in the Anthropic body's {@code request_id} and in the header the client's SDK
     * reports ({@code x-request-id} or {@code request-id}), so the id a user quotes from an SDK's exception finds the
     * request. A provider's own id is in {@code x-tollgate-provider-request-id}.
     */
    static void answer(ServerResponse response, GatewayError error, WireFormat format, String requestId) {
        response.setStatusCode(error.status());
        error.headers().forEach(response.headers()::set);
        AsciiString id = AsciiHeaders.of(requestId);
        response.headers().set(AsciiHeaders.CONTENT_TYPE, AsciiHeaders.APPLICATION_JSON).set(REQUEST_ID_NAME, id)
                .set(format.requestIdHeader(), id);
        response.end(error.render(format, requestId));
    }

    private boolean gone() {
        return response.ended() || response.closed();
    }

    @Override
    public void onClose(Runnable action) {
        response.closeHandler(v -> {
            if (!response.ended()) action.run();
        });
    }

    @Override
    public boolean writeQueueFull() {
        return response.writeQueueFull();
    }

    @Override
    public void onDrain(Runnable action) {
        response.drainHandler(v -> action.run());
    }
}
