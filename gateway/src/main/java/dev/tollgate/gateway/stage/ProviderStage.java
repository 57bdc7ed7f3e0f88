package dev.tollgate.gateway.stage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.AsciiHeaders;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.gateway.config.GatewayConfig;
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
import io.netty.util.AsciiString;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.route.Deployment;
import dev.tollgate.gateway.route.RouteConfig;
import dev.tollgate.gateway.route.RouteGroup;
import dev.tollgate.gateway.sse.SseEvent;
import dev.tollgate.store.LedgerEntry;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;

import java.net.ConnectException;
import java.net.UnknownHostException;
import javax.net.ssl.SSLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

/**
 * The end of the request path: sends the request to the provider in the provider's dialect and relays the answer
 * back through the sink, streamed event by event. Provider failures become 502 (504 for silence past the
 * configured timeout) carrying the provider's own message.
 */
public final class ProviderStage implements Stage.Chain {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ProviderStage.class);

    /** Where an error answer keeps the provider's own request id. */
    private static final String PROVIDER_REQUEST_ID = "x-tollgate-provider-request-id";
    /** Provider headers a client may act on: back-off hints, rate-limit state, and the provider's own request id. */
    private static final String[] RELAYED_HEADERS = {"retry-after", "x-ratelimit-", "anthropic-ratelimit-",
            "openai-processing-ms", "x-request-id", "request-id"};

    public static final String DEPLOYMENT_HEADER = "x-tollgate-deployment";
    private static final AsciiString DEPLOYMENT_NAME = AsciiString.cached(DEPLOYMENT_HEADER);
    private static final AsciiString EVENT_STREAM = AsciiString.cached("text/event-stream; charset=utf-8");
    private static final AsciiString CACHE_CONTROL = AsciiString.cached("cache-control");
    private static final AsciiString NO_CACHE = AsciiString.cached("no-cache");

    private final Map<String, Upstream> upstreams;
    private final Translation chatOverAnthropic;
    private final Translation responsesOverAnthropic;
    private final Translation responsesOverChat;
    /** Timers for backoff and for streams silent before their first content; null where no route needs them. */
    private final Vertx vertx;
    /** Where the rows of attempts that were retried or fell back go (the ledger). */
    private final Consumer<LedgerEntry> attemptLog;
    private final Supplier<PriceCatalog> catalog;
    /** How long a model of one deployment keeps opening a connection its provider refused ({@link #reconnect}). */
    private final long reconnectWithinNanos;

    public ProviderStage(Map<String, Upstream> upstreams, GatewayConfig.Server server, Vertx vertx,
                         Consumer<LedgerEntry> attemptLog, Supplier<PriceCatalog> catalog) {
        this.upstreams = upstreams;
        this.chatOverAnthropic = new ChatOverAnthropic(server.defaultMaxTokens());
        this.responsesOverAnthropic = new ResponsesOverAnthropic(server.defaultMaxTokens());
        this.responsesOverChat = new ResponsesOverChat(server.defaultMaxTokens());
        this.vertx = vertx;
        this.attemptLog = attemptLog;
        this.catalog = catalog;
        this.reconnectWithinNanos = server.reconnectWithin().toNanos();
    }

    @Override
    public void proceed(Exchange exchange, ReplySink sink) {
        RouteGroup group = exchange.routes();
        if (group == null || vertx == null) {
            proceedAlone(exchange, sink, 0);
            return;
        }
        new Attempts(exchange, sink, group).launch();
    }

    /** A model of one deployment: one call, and another only where the first could not connect ({@link #reconnect}). */
    private void proceedAlone(Exchange exchange, ReplySink sink, int reconnects) {
        if (exchange.clientGone()) {
            sink.fail(GatewayError.upstream(502, "the client closed the connection before the provider could be reached"));
            return;
        }
        ProviderAnswer answer = attempt(exchange, sink, null, reconnects);
        if (answer == null) return;
        exchange.connection().onClose(() -> {
            exchange.clientGone(true);
            // A stream is cancelled: the provider stops generating, and the tokens relayed so far are
            // counted. A complete answer is billed whether anyone reads it or not, so it is left to
            // arrive and the ledger gets its real usage.
            if (exchange.stream()) answer.call.cancel();
        });
    }

    /**
     * The provider refused the connection (or it could not be opened), so nothing was sent and trying again is safe: a
     * provider restarting, or starting beside the gateway, is waited for, the waits doubling from 50 ms while
     * {@code server.reconnect_within_ms} lasts. A route does not come here: its own retries and fallbacks decide.
     * Returns false when the failure is the client's answer.
     */
    private boolean reconnect(Exchange exchange, ReplySink sink, int reconnects) {
        long wait = TimeUnit.MILLISECONDS.toNanos(50L << Math.min(reconnects, 20));
        if (vertx == null || exchange.clientGone()
                || System.nanoTime() + wait - exchange.arrivedNanos() > reconnectWithinNanos) return false;
        vertx.setTimer(TimeUnit.NANOSECONDS.toMillis(wait), id -> proceedAlone(exchange, sink, reconnects + 1));
        return true;
    }

    /**
     * One call to the deployment {@code exchange.route()} names; null when the request could not even be sent.
     * {@code reconnects}: the connections refused before this one (a model of one deployment), -1 on a route.
     */
    private ProviderAnswer attempt(Exchange exchange, ReplySink sink, Attempts attempts, int reconnects) {
        Upstream upstream = upstreams.get(exchange.route().provider().name());
        Translation translation = translation(exchange.api(), upstream);
        ProviderAnswer answer = new ProviderAnswer(exchange, upstream, translation, sink, attempts, reconnects);
        if (translation == null) {
            answer.refuse(new AttemptFailure("unsupported", GatewayError.badRequest(exchange.api().ledgerName()
                    + " is not available for model '" + exchange.route().name() + "': its provider speaks "
                    + upstream.dialect().name().toLowerCase(), "model"), attempts != null, false, 0));
            return null;
        }
        Buffer body;
        try {
            body = translation.requestBody(exchange);
        } catch (UntranslatableException e) {
            answer.refuse(new AttemptFailure("unsupported", GatewayError.badRequest(e.getMessage(), e.param()),
                    attempts != null, false, 0));
            return null;
        }
        answer.call = upstream.send(translation.upstreamApi(exchange.api()), exchange.route().model(),
                exchange.requestHeaders(), body, answer);
        if (attempts != null) attempts.started(answer);
        return answer;
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

    /**
     * The attempts of one request to a route group: the loop that tries the planned deployments in turn, retrying one
     * after backoff (or its {@code retry-after}) or falling back to the next, until an answer starts reaching the client,
     * the attempts or the route's deadline run out, or the failure is the request's own. Each attempt that is tried
     * again is a ledger row of its own; the last one is metered as usual. Confined to the request's event loop.
     */
    private final class Attempts {
        private final Exchange exchange;
        private final ReplySink sink;
        private final RouteGroup group;
        private final RouteConfig config;
        private final Deployment[] plan;
        private final long deadlineNanos;
        /** The request's event loop, where its attempts' deadlines are scheduled. */
        private final ContextInternal context;
        private int position;
        /** Attempts made on {@code plan[position]} so far. */
        private int triesHere;
        private int made;
        /** Attempts of the request before this route's (a cascade's cheaper tiers); 0 for most. */
        private final int base;
        private ProviderAnswer current;
        private AttemptFailure last;
        /**
         * The row of the attempt that failed, written once the next attempt starts; when none can (every deployment left
         * is open, the client left), the request's own row is that attempt's, so each attempt has exactly one row.
         */
        private LedgerEntry pending;

        Attempts(Exchange exchange, ReplySink sink, RouteGroup group) {
            this.exchange = exchange;
            this.sink = sink;
            this.group = group;
            this.config = group.config();
            double draw = config.strategy() == RouteConfig.Strategy.WEIGHTED ? ThreadLocalRandom.current().nextDouble() : 0;
            this.plan = group.plan(catalog.get(), exchange.arrivedAt(), draw);
            this.deadlineNanos = exchange.arrivedNanos() + config.timeout().toNanos();
            this.base = exchange.attempt(); // a cascade's earlier tiers were attempts too
            this.context = (ContextInternal) vertx.getOrCreateContext();
            exchange.connection().onClose(() -> {
                exchange.clientGone(true);
                if (exchange.stream() && current != null && current.call != null) current.call.cancel();
            });
        }

        /** Starts the next attempt on the first deployment from {@code position} whose breaker lets it through. */
        void launch() {
            if (exchange.clientGone()) {
                sink.fail(GatewayError.upstream(502, "the client closed the connection before an attempt could be made"));
                return;
            }
            while (position < plan.length && !plan[position].tryAcquire()) {
                position++;
                triesHere = 0;
            }
            if (position >= plan.length) {
                sink.fail(last != null ? last.error() : GatewayError.upstream(503, "every deployment of route '" + group.name()
                        + "' is out of service (circuit open after repeated failures); it is probed again shortly")
                        .withHeaders(Map.of("retry-after", String.valueOf(Math.max(1, config.breaker().open().toSeconds())))));
                return;
            }
            if (pending != null) {
                attemptLog.accept(pending);
                pending = null;
            }
            made++;
            triesHere++;
            exchange.attempt(base + made);
            exchange.route(plan[position].target());
            current = null;
            attempt(exchange, sink, this, -1);
        }

        Deployment deployment() {
            return plan[position];
        }

        /**
         * The call is on its way: watch the time to its first content, within the route's deadline. A task on the event
         * loop itself rather than a Vert.x timer: every routed call sets one and nearly all are cancelled.
         */
        void started(ProviderAnswer answer) {
            current = answer;
            long wait = Math.min(deadlineNanos - System.nanoTime(), config.firstContent().toNanos());
            long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait));
            answer.timer = context.nettyEventLoop().schedule(() -> {
                ContextInternal previous = context.beginDispatch();
                try {
                    answer.timedOut();
                } finally {
                    context.endDispatch(previous);
                }
            }, millis, TimeUnit.MILLISECONDS);
        }

        /** The answer has begun reaching the client: no more attempts. */
        void served(ProviderAnswer answer, MultiMap headers) {
            answer.judged = true;
            deployment().succeeded(System.nanoTime() - answer.startedNanos);
            headers.set(DEPLOYMENT_NAME, deployment().idHeader());
        }

        /**
         * The attempt failed before the client saw anything. Returns true when another attempt follows (this one is
         * then in the ledger as a row of its own); false when {@code failure} is the request's answer.
         */
        boolean retry(ProviderAnswer answer, AttemptFailure failure) {
            long now = System.nanoTime();
            Deployment here = deployment();
            answer.judged = true;
            if (failure.unwell()) here.failed(now - answer.startedNanos, failure.asThrowable());
            else here.neutral();
            last = failure;
            if (!failure.retryable() || exchange.clientGone() || made >= config.maxAttempts() || now >= deadlineNanos) return false;
            boolean otherLeft = position + 1 < plan.length;
            boolean sameAllowed = triesHere <= config.retries() && failure.unwell();
            long delay = 0;
            boolean same;
            if (failure.retryAfterNanos() > 0 && otherLeft) {
                same = false; // the provider asked for time: another deployment need not wait
            } else if (sameAllowed && failure.retryAfterNanos() <= config.maxBackoff().toNanos()) {
                same = true;
                delay = Math.max(backoff(), failure.retryAfterNanos());
            } else if (otherLeft) {
                same = false;
            } else {
                return false;
            }
            if (now + delay >= deadlineNanos) return false;
            pending = MeteringStage.attemptRow(exchange, failure.error().status(), failure.error().message(),
                    failure.kind(), answer.startedNanos);
            if (!same) {
                position++;
                triesHere = 0;
            }
            if (delay <= 0) vertx.runOnContext(v -> launch());
            else vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(delay)), id -> launch());
            return true;
        }

        /** The attempt ended without a verdict on the deployment (a hang-up, an unreadable answer): its permit is returned. */
        void ended(ProviderAnswer answer) {
            if (answer.judged) return;
            answer.judged = true;
            deployment().neutral();
        }

        /** Exponential backoff with equal jitter: half the doubled wait for sure, the other half drawn. */
        private long backoff() {
            long base = config.backoff().toNanos();
            long capped = Math.min(config.maxBackoff().toNanos(), base << Math.min(20, triesHere - 1));
            if (capped <= 1) return Math.max(0, capped);
            return capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
        }
    }

    /**
     * The provider's answer: gathered whole for a complete body or an error, relayed event by event for a stream. A
     * stream's opening events are held until its first content, so a refusal that comes after them (an in-band error, a
     * reset, silence, an unreadable event) is still a refusal the client never saw: another attempt may follow, or the
     * provider's own error is answered, and nothing is charged.
     */
    private final class ProviderAnswer implements UpstreamCall.Answer {
        private final Exchange exchange;
        private final Upstream upstream;
        private final Translation translation;
        private final ReplySink sink;
        private final Attempts attempts;
        private final int reconnects;
        private final long startedNanos = System.nanoTime();
        private UpstreamCall call;
        /** The attempt's deadline ({@link Attempts#started}); null when none is pending. */
        private ScheduledFuture<?> timer;
        private int status;
        private HttpHeaders headers;
        private Buffer body;
        private StreamRelay relay;
        /** Where the relay writes: the sink, except that a stream ending after the provider's in-band error fails with it. */
        private ReplySink relaySink;
        /** The provider's own error, sent in-band after the first content and relayed to the client as it came. */
        private GatewayError providerError;
        private SseParser parser;
        private MultiMap startHeaders;
        /** A stream before its first content: its opening events are held back ({@link #held}, made when one comes). */
        private boolean holding;
        private List<SseEvent> held;
        /** The sink has had its last word (a relay's finish is called once), or the attempt was refused. */
        private boolean finished;
        /** The deployment's breaker has heard how this attempt went (each permit is answered once). */
        private boolean judged;

        ProviderAnswer(Exchange exchange, Upstream upstream, Translation translation, ReplySink sink, Attempts attempts,
                       int reconnects) {
            this.exchange = exchange;
            this.upstream = upstream;
            this.translation = translation;
            this.sink = sink;
            this.attempts = attempts;
            this.reconnects = reconnects;
        }

        @Override
        public void head(int status, HttpHeaders headers) {
            this.status = status;
            this.headers = headers;
            String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE);
            if (status >= 200 && status < 300 && contentType != null && contentType.startsWith("text/event-stream")) {
                relay = translation.stream(exchange);
                relaySink = new ReplySink.Forwarding(sink) {
                    @Override
                    public void end() {
                        // a stream that carried the provider's error (Responses' response.failed ends "properly") failed:
                        // the ledger keeps the error and the cache does not keep the stream
                        if (providerError != null) next.fail(providerError.alreadyInStream());
                        else next.end();
                    }

                    @Override
                    public void fail(GatewayError error) {
                        // the client has the provider's error already; it is what the ledger keeps, not a second one
                        next.fail(providerError != null ? providerError.alreadyInStream() : error);
                    }
                };
                startHeaders = MultiMap.caseInsensitiveMultiMap()
                        .add(AsciiHeaders.CONTENT_TYPE, EVENT_STREAM)
                        .add(CACHE_CONTROL, NO_CACHE);
                copyRelayed(headers, startHeaders, exchange.api().format());
                holding = true;
                parser = new SseParser(this::event);
                return;
            }
            cancelTimer(); // a complete answer's head: its body follows, and it is the answer's first content
            int declared = headers.getInt(HttpHeaderNames.CONTENT_LENGTH, -1);
            body = Buffer.buffer(declared > 0 && declared < 16 * 1024 * 1024 ? declared : 1024);
        }

        private void event(SseEvent event) {
            if (finished) return;
            if (!holding) {
                if (providerError == null) {
                    providerError = FirstContent.midStreamError(upstream.dialect(), translation.upstreamApi(exchange.api()),
                            upstream.name(), event);
                }
                relay.event(event, relaySink);
                return;
            }
            Object kind = FirstContent.classify(upstream.dialect(), translation.upstreamApi(exchange.api()), upstream.name(), event);
            if (kind == FirstContent.OPENING) {
                if (held == null) held = new ArrayList<>(4);
                held.add(event);
            } else if (kind == FirstContent.CONTENT) {
                release();
                relay.event(event, relaySink);
            } else {
                refuse((AttemptFailure) kind);
            }
        }

        /** The first content is here: the client gets the head and the held opening events. */
        private void release() {
            cancelTimer();
            if (attempts != null) attempts.served(this, startHeaders);
            sink.start(200, startHeaders);
            holding = false;
            List<SseEvent> opening = held;
            held = null;
            if (opening != null) for (SseEvent e : opening) relay.event(e, relaySink);
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
                if (finished) return;
                if (holding) {
                    refuse(AttemptFailure.unwell("stream_malformed", GatewayError.upstream(502, "provider '" + upstream.name()
                            + "' sent a stream the gateway could not read")));
                    return;
                }
                finished = true;
                relay.finish(relaySink, e);
                call.cancel();
                return;
            }
            if (!holding && !finished && exchange.connection().writeQueueFull()) {
                call.pause();
                exchange.connection().onDrain(call::resume);
            }
        }

        @Override
        public void end() {
            if (finished) return;
            if (parser != null) {
                parser.finish();
                if (finished) return;
                if (holding) {
                    refuse(AttemptFailure.unwell("stream_closed", GatewayError.upstream(502, "provider '" + upstream.name()
                            + "' closed the stream before its first content")));
                    return;
                }
                finished = true;
                relay.finish(relaySink, null);
            } else if (status < 200 || status >= 300) {
                refuse(AttemptFailure.http(status, upstreamError(upstream, status, body, headers),
                        AttemptFailure.retryAfterNanos(headers.get("retry-after-ms"), headers.get("retry-after"))));
            } else {
                finished = true;
                cancelTimer();
                ReplySink out = withRelayedHeaders(headers, exchange.api().format(), sink, attempts == null ? null : this);
                try {
                    translation.complete(exchange, body, out);
                } catch (RuntimeException e) {
                    log.warn("request {}: unreadable answer from provider '{}'", exchange.requestId(), upstream.name(), e);
                    if (attempts != null) attempts.ended(this);
                    sink.fail(GatewayError.upstream(502, "provider '" + upstream.name() + "' sent an answer the gateway could not read"));
                }
            }
        }

        @Override
        public void failed(Throwable cause) {
            if (finished) return;
            // a stream under way, or one the client hung up on after the provider opened it: the prompt was taken in,
            // so what was relayed (or just the prompt) is counted, as for any broken stream
            if (relay != null && (!holding || exchange.clientGone())) {
                finished = true;
                List<SseEvent> opening = holding ? held : null;
                holding = false;
                held = null;
                cancelTimer();
                if (attempts != null) attempts.ended(this);
                // the client hung up before the first content: the relay still reads the opening events held for it
                // (Anthropic's message_start reports the prompt as billed, cache reads and writes included); nobody
                // is there to be written to
                if (opening != null) {
                    ReplySink unread = new ReplySink.Forwarding(relaySink) {
                        @Override
                        public void data(Buffer chunk) {
                        }
                    };
                    for (SseEvent e : opening) relay.event(e, unread);
                }
                relay.finish(relaySink, cause);
                return;
            }
            if (reconnects >= 0 && cause instanceof ConnectException && reconnect(exchange, sink, reconnects)) {
                finished = true;
                log.info("provider '{}' could not be reached ({}); trying again shortly", upstream.name(), cause.getMessage());
                return;
            }
            refuse(failure(upstream, cause, relay != null));
        }

        /** The deadline for this attempt (or for a stream's first content) passed with nothing sent to the client. */
        void timedOut() {
            timer = null;
            if (finished || (relay != null && !holding)) return;
            boolean stalled = relay != null;
            refuse(AttemptFailure.unwell(stalled ? "stream_stall" : "timeout", GatewayError.upstream(504, stalled
                    ? "provider '" + upstream.name() + "' sent no content within " + waited() + " of opening its stream"
                    : "provider '" + upstream.name() + "' did not answer within " + waited())));
        }

        private String waited() {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos) + " ms";
        }

        /** Nothing reached the client: try again if the route allows, else answer the failure (nothing is charged). */
        void refuse(AttemptFailure failure) {
            finished = true; // first: cancelling makes the call fail, and that failure is this refusal, not another
            holding = false;
            held = null;
            cancelTimer();
            if (call != null) call.cancel(); // the provider stops generating; a call already over is left as it is
            if (attempts != null && attempts.retry(this, failure)) return;
            sink.fail(failure.error());
        }

        private void cancelTimer() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }
    }

    /** The provider's rate-limit and request-id headers on a complete answer, as on a stream; the deployment for a route. */
    private static ReplySink withRelayedHeaders(HttpHeaders upstreamHeaders, WireFormat client, ReplySink sink, ProviderAnswer routed) {
        return new ReplySink.Forwarding(sink) {
            @Override
            public void start(int status, MultiMap headers) {
                copyRelayed(upstreamHeaders, headers, client);
                if (routed != null) routed.attempts.served(routed, headers);
                next.start(status, headers);
            }
        };
    }

    /**
     * The relayed headers of a successful answer, the provider's request id also under the header the client's SDK
     * reports it from ({@code x-request-id} for OpenAI's, {@code request-id} for Anthropic's) when the deployment
     * speaks the other format.
     */
    private static void copyRelayed(HttpHeaders from, MultiMap to, WireFormat client) {
        copyRelayed(from, to);
        if (to.contains(client.requestIdHeader())) return;
        String id = to.get(client.other().requestIdHeader());
        if (id != null) to.add(client.requestIdHeader(), AsciiString.of(id));
    }

    private static boolean isRequestId(String name) {
        for (WireFormat format : WireFormat.values()) if (format.requestIdHeader().contentEqualsIgnoreCase(name)) return true;
        return false;
    }

    private static void copyRelayed(HttpHeaders from, MultiMap to) {
        var headers = from.iteratorCharSequence();
        while (headers.hasNext()) {
            var header = headers.next();
            CharSequence name = header.getKey();
            for (String relayed : RELAYED_HEADERS) {
                if (startsWithIgnoreCase(name, relayed)) {
                    // as ASCII strings, which Netty writes in one copy (a header's bytes are Latin-1 as decoded)
                    to.add(AsciiString.of(name).toLowerCase(), AsciiString.of(header.getValue()));
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

    /**
     * A provider's error answer as the client gets it when no other attempt follows: the provider's own type, code,
     * param and message (SDKs and agents branch on them: OpenAI's {@code context_length_exceeded}, Anthropic's
     * {@code rate_limit_error}) at its status, with its {@code retry-after} and rate-limit headers. The request's own
     * faults (400, 404, 409, 413, 422) and a rate limit (429) keep their status; a provider's server error (500, 503,
     * 529) too when it names its type, else it is a 502, as is a refusal of the gateway's own credentials (401, 403):
     * the client's key is not the one at fault. An error without a type of its own gets the usual one for its status.
     */
    private static GatewayError upstreamError(Upstream upstream, int status, Buffer body, HttpHeaders upstreamHeaders) {
        JsonNode json = Json.tree(body);
        JsonNode own = json.path("error");
        String message = "provider '" + upstream.name() + "' answered HTTP " + status + ": " + messageOf(json, body);
        String type = text(own.path("type"));
        String code = text(own.path("code"));
        String param = text(own.path("param"));
        MultiMap relayed = MultiMap.caseInsensitiveMultiMap();
        copyRelayed(upstreamHeaders, relayed);
        Map<String, String> headers = new java.util.HashMap<>();
        // an error answer's x-request-id / request-id is the gateway's, the one its ledger knows (HttpReply.answer)
        relayed.forEach((name, value) -> headers.put(isRequestId(name) ? PROVIDER_REQUEST_ID : name, value));
        GatewayError error = switch (status) {
            case 400, 404, 409, 413, 422 -> new GatewayError(status, or(type, "invalid_request_error"), or(code, "upstream_rejected"),
                    message, param, null);
            case 429 -> new GatewayError(429, or(type, "rate_limit_error"), or(code, "rate_limit_exceeded"), message, param, null);
            case 408 -> GatewayError.upstream(504, message);
            case 500, 503, 529 -> type == null ? GatewayError.upstream(502, message)
                    : new GatewayError(status, type, or(code, "upstream_error"), message, param, null);
            default -> GatewayError.upstream(502, message);
        };
        return error.withHeaders(headers);
    }

    /** A field's text; null where it is absent, null, empty or not a string or number. */
    private static String text(JsonNode node) {
        return node.isTextual() || node.isNumber() ? (node.asText().isBlank() ? null : node.asText()) : null;
    }

    private static String or(String value, String otherwise) {
        return value != null ? value : otherwise;
    }

    /** The provider's own error message, whichever format it came in. */
    private static String messageOf(JsonNode json, Buffer body) {
        String message = text(json.path("error").path("message"));
        if (message == null) message = text(json.path("error"));
        if (message == null) message = text(json.path("message"));
        if (message == null) {
            String raw = body.toString().strip();
            message = raw.isEmpty() ? "(no body)" : raw.length() > 300 ? raw.substring(0, 300) + "…" : raw;
        }
        return message;
    }

    /**
     * A call that failed before the client saw anything ({@code streamOpened}: after a stream's head), and what the
     * client is told if no other attempt follows: what happened in words it can act on, never the provider's address
     * or the network library's own message (those go to the log).
     */
    private static AttemptFailure failure(Upstream upstream, Throwable cause, boolean streamOpened) {
        String provider = "provider '" + upstream.name() + "'";
        log.warn("the call to {} failed: {}", provider, cause.toString());
        if (cause instanceof TimeoutException || cause.getClass().getSimpleName().contains("Timeout")) {
            return AttemptFailure.unwell(streamOpened ? "stream_stall" : "timeout",
                    GatewayError.upstream(504, provider + " did not answer in time; try again later"));
        }
        if (cause instanceof UnknownHostException) {
            return AttemptFailure.unwell("connection_failed",
                    GatewayError.upstream(502, "could not reach " + provider + ": its host name does not resolve"));
        }
        if (cause instanceof ConnectException) {
            String why = String.valueOf(cause.getMessage()).contains("refused") ? "the connection was refused" : "the connection failed";
            return AttemptFailure.unwell("connection_failed",
                    GatewayError.upstream(502, "could not reach " + provider + ": " + why + "; try again later"));
        }
        if (cause instanceof SSLException) {
            return AttemptFailure.unwell("connection_failed",
                    GatewayError.upstream(502, "could not reach " + provider + ": the TLS handshake failed"));
        }
        if (cause instanceof CancellationException) {
            return AttemptFailure.fatal("cancelled", GatewayError.upstream(502, "the request to " + provider + " was cancelled"));
        }
        return AttemptFailure.unwell(streamOpened ? "stream_closed" : "connection_failed",
                GatewayError.upstream(502, provider + " closed the connection or failed before answering; try again later"));
    }
}
