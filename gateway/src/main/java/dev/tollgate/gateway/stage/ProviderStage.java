package dev.tollgate.gateway.stage;

import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.gateway.provider.Upstream;
import dev.tollgate.gateway.provider.UpstreamCall;
import dev.tollgate.gateway.sse.SseParser;
import dev.tollgate.gateway.translate.AnthropicPassthrough;
import dev.tollgate.gateway.translate.ChatOverAnthropic;
import dev.tollgate.gateway.translate.CountTokens;
import dev.tollgate.gateway.translate.MessagesOverOpenAi;
import dev.tollgate.gateway.translate.OpenAiPassthrough;
import dev.tollgate.gateway.translate.ResponsesOverAnthropic;
import dev.tollgate.gateway.translate.ResponsesOverChat;
import dev.tollgate.gateway.translate.Translation;
import dev.tollgate.gateway.translate.Translation.StreamRelay;
import dev.tollgate.gateway.translate.Translation.UntranslatableException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

import java.net.ConnectException;
import java.net.UnknownHostException;
import javax.net.ssl.SSLException;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

/**
 * The end of the request path: sends the request to the provider in the provider's dialect and relays the answer
 * back through the sink, streamed event by event. Provider failures become 502 (504 for silence past the
 * configured timeout) carrying the provider's own message.
 */
public final class ProviderStage implements Stage.Chain {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ProviderStage.class);

    /** Provider headers a client may act on: back-off hints, rate-limit state, and the provider's own request id. */
    private static final String[] RELAYED_HEADERS = {"retry-after", "x-ratelimit-", "anthropic-ratelimit-",
            "openai-processing-ms", "x-request-id", "request-id"};

    private final Map<String, Upstream> upstreams;
    private final Translation chatOverAnthropic;
    private final Translation responsesOverAnthropic;
    private final Translation responsesOverChat;

    public ProviderStage(Map<String, Upstream> upstreams, int defaultMaxTokens) {
        this.upstreams = upstreams;
        this.chatOverAnthropic = new ChatOverAnthropic(defaultMaxTokens);
        this.responsesOverAnthropic = new ResponsesOverAnthropic(defaultMaxTokens);
        this.responsesOverChat = new ResponsesOverChat(defaultMaxTokens);
    }

    @Override
    public void proceed(Exchange exchange, ReplySink sink) {
        Upstream upstream = upstreams.get(exchange.route().provider().name());
        Translation translation = translation(exchange.api(), upstream);
        if (translation == null) {
            sink.fail(GatewayError.badRequest(exchange.api().ledgerName() + " is not available for model '"
                    + exchange.route().name() + "': its provider speaks " + upstream.dialect().name().toLowerCase(), "model"));
            return;
        }
        Buffer body;
        try {
            body = translation.requestBody(exchange);
        } catch (UntranslatableException e) {
            sink.fail(GatewayError.badRequest(e.getMessage(), e.param()));
            return;
        }
        ProviderAnswer answer = new ProviderAnswer(exchange, upstream, translation, sink);
        UpstreamCall call = upstream.send(translation.upstreamApi(exchange.api()), exchange.route().model(),
                exchange.requestHeaders(), body, answer);
        answer.call = call;
        exchange.connection().onClose(() -> {
            exchange.clientGone(true);
            // A stream is cancelled: the provider stops generating, and the tokens relayed so far are
            // counted. A complete answer is billed whether anyone reads it or not, so it is left to
            // arrive and the ledger gets its real usage.
            if (exchange.stream()) call.cancel();
        });
    }

    private Translation translation(Api api, Upstream upstream) {
        if (upstream.dialect() == WireFormat.OPENAI) {
            if (api == Api.ANTHROPIC_MESSAGES) return MessagesOverOpenAi.INSTANCE;
            if (api == Api.OPENAI_RESPONSES && upstream.responsesOverChat()) return responsesOverChat;
            return OpenAiPassthrough.INSTANCE;
        }
        return switch (api) {
            case ANTHROPIC_MESSAGES -> AnthropicPassthrough.INSTANCE;
            case ANTHROPIC_COUNT_TOKENS -> CountTokens.INSTANCE;
            case OPENAI_CHAT -> chatOverAnthropic;
            case OPENAI_RESPONSES -> responsesOverAnthropic;
            default -> null;
        };
    }

    /** The provider's answer: gathered whole for a complete body or an error, relayed event by event for a stream. */
    private static final class ProviderAnswer implements UpstreamCall.Answer {
        private final Exchange exchange;
        private final Upstream upstream;
        private final Translation translation;
        private final ReplySink sink;
        private UpstreamCall call;
        private int status;
        private HttpHeaders headers;
        private Buffer body;
        private StreamRelay relay;
        private SseParser parser;
        /** The sink has had its last word (a relay's finish is called once). */
        private boolean finished;

        ProviderAnswer(Exchange exchange, Upstream upstream, Translation translation, ReplySink sink) {
            this.exchange = exchange;
            this.upstream = upstream;
            this.translation = translation;
            this.sink = sink;
        }

        @Override
        public void head(int status, HttpHeaders headers) {
            this.status = status;
            this.headers = headers;
            String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE);
            if (status >= 200 && status < 300 && contentType != null && contentType.startsWith("text/event-stream")) {
                relay = translation.stream(exchange);
                MultiMap start = MultiMap.caseInsensitiveMultiMap()
                        .add("content-type", "text/event-stream; charset=utf-8")
                        .add("cache-control", "no-cache");
                copyRelayed(headers, start);
                sink.start(200, start);
                parser = new SseParser(event -> relay.event(event, sink));
                return;
            }
            int declared = headers.getInt(HttpHeaderNames.CONTENT_LENGTH, -1);
            body = Buffer.buffer(declared > 0 && declared < 16 * 1024 * 1024 ? declared : 1024);
        }

        @Override
        public void content(Buffer chunk) {
            if (finished) return;
            if (parser == null) {
                body.appendBuffer(chunk);
                return;
            }
            try {
                parser.feed(chunk);
            } catch (RuntimeException e) {
                finished = true;
                relay.finish(sink, e);
                call.cancel();
                return;
            }
            if (exchange.connection().writeQueueFull()) {
                call.pause();
                exchange.connection().onDrain(call::resume);
            }
        }

        @Override
        public void end() {
            if (finished) return;
            finished = true;
            if (parser != null) {
                parser.finish();
                relay.finish(sink, null);
            } else if (status < 200 || status >= 300) {
                sink.fail(upstreamError(upstream, status, body, headers));
            } else {
                try {
                    translation.complete(exchange, body, withRelayedHeaders(headers, sink));
                } catch (RuntimeException e) {
                    log.warn("request {}: unreadable answer from provider '{}'", exchange.requestId(), upstream.name(), e);
                    sink.fail(GatewayError.upstream(502, "provider '" + upstream.name() + "' sent an answer the gateway could not read"));
                }
            }
        }

        @Override
        public void failed(Throwable cause) {
            if (finished) return;
            finished = true;
            if (relay != null) relay.finish(sink, cause);
            else sink.fail(failure(upstream, cause));
        }
    }

    /** The provider's rate-limit and request-id headers on a complete answer, as on a stream. */
    private static ReplySink withRelayedHeaders(HttpHeaders upstreamHeaders, ReplySink sink) {
        return new ReplySink.Forwarding(sink) {
            @Override
            public void start(int status, MultiMap headers) {
                copyRelayed(upstreamHeaders, headers);
                next.start(status, headers);
            }
        };
    }

    private static void copyRelayed(HttpHeaders from, MultiMap to) {
        var headers = from.iteratorCharSequence();
        while (headers.hasNext()) {
            var header = headers.next();
            CharSequence name = header.getKey();
            for (String relayed : RELAYED_HEADERS) {
                if (startsWithIgnoreCase(name, relayed)) {
                    to.add(name.toString().toLowerCase(java.util.Locale.ROOT), header.getValue().toString());
                    break;
                }
            }
        }
    }

    private static boolean startsWithIgnoreCase(CharSequence text, String lowerPrefix) {
        if (text.length() < lowerPrefix.length()) return false;
        for (int i = 0; i < lowerPrefix.length(); i++) {
            char c = text.charAt(i);
            if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
            if (c != lowerPrefix.charAt(i)) return false;
        }
        return true;
    }

    private static GatewayError upstreamError(Upstream upstream, int status, Buffer body, HttpHeaders upstreamHeaders) {
        String message = "provider '" + upstream.name() + "' answered HTTP " + status + ": " + messageOf(body);
        MultiMap relayed = MultiMap.caseInsensitiveMultiMap();
        copyRelayed(upstreamHeaders, relayed);
        Map<String, String> headers = new java.util.HashMap<>();
        relayed.forEach(headers::put);
        GatewayError error = switch (status) {
            case 400, 404, 409, 413, 422 -> new GatewayError(status, "invalid_request_error", "upstream_rejected", message, null, null);
            case 429 -> new GatewayError(429, "rate_limit_exceeded", "upstream_rate_limited", message, null, null);
            case 408 -> GatewayError.upstream(504, message);
            default -> GatewayError.upstream(502, message);
        };
        return error.withHeaders(headers);
    }

    /** The provider's own error message, whichever format it came in. */
    private static String messageOf(Buffer body) {
        var json = Json.tree(body.toString());
        String message = json.path("error").path("message").asText(null);
        if (message == null && json.path("error").isTextual()) message = json.get("error").asText();
        if (message == null) message = json.path("message").asText(null);
        if (message == null) {
            String text = body.toString().strip();
            message = text.isEmpty() ? "(no body)" : text.length() > 300 ? text.substring(0, 300) + "…" : text;
        }
        return message;
    }

    /**
     * What the client is told when the call to a provider failed: what happened in words it can act on, never the
     * provider's address or the network library's own message (those go to the log).
     */
    private static GatewayError failure(Upstream upstream, Throwable cause) {
        String provider = "provider '" + upstream.name() + "'";
        log.warn("the call to {} failed: {}", provider, cause.toString());
        if (cause instanceof TimeoutException || cause.getClass().getSimpleName().contains("Timeout")) {
            return GatewayError.upstream(504, provider + " did not answer in time; try again later");
        }
        if (cause instanceof UnknownHostException) {
            return GatewayError.upstream(502, "could not reach " + provider + ": its host name does not resolve");
        }
        if (cause instanceof ConnectException) {
            String why = String.valueOf(cause.getMessage()).contains("refused") ? "the connection was refused" : "the connection failed";
            return GatewayError.upstream(502, "could not reach " + provider + ": " + why + "; try again later");
        }
        if (cause instanceof SSLException) {
            return GatewayError.upstream(502, "could not reach " + provider + ": the TLS handshake failed");
        }
        if (cause instanceof CancellationException) {
            return GatewayError.upstream(502, "the request to " + provider + " was cancelled");
        }
        return GatewayError.upstream(502, provider + " closed the connection or failed before answering; try again later");
    }
}
