package dev.tollgate.gateway.shadow;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.auth.Principal;
import dev.tollgate.gateway.route.RouteGroup;
import dev.tollgate.gateway.stage.Stage;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

import java.math.BigDecimal;
import java.time.Clock;

/**
 * Shadow traffic (issue 13): for a request to a route with {@code shadow:} that is sampled, watches the client's
 * answer go by (a copy of its bytes, up to {@value #MAX_ANSWER_BYTES}) and, only once the client has it complete,
 * hands the same request to the {@link ShadowLane}, which sends it to the candidate on its own event loop through its
 * own path (budget, metering, provider: no cache, no prompt log, no client connection, so no client backpressure). Its ledger row shares
 * the client's request id and is attributed to key {@value Shadow#KEY} and tag {@code shadow=ROUTE}; one that a budget
 * (or a rate limit) refuses is skipped. Both answers go to the {@link ShadowRecorder} for {@code tollgate eval --shadow}. Calls beyond
 * the route's {@code max_in_flight} are shed and counted, never queued.
 */
public final class ShadowStage implements Stage {

    static final int MAX_ANSWER_BYTES = 1 << 20;

    private final ShadowLane lane;
    private final ShadowRecorder recorder;
    private final Clock clock;

    /**
     * {@code lane}: where shadow calls run; {@code recorder}: where the answers are kept, or null (shadow calls are
     * then still made and metered).
     */
    public ShadowStage(ShadowLane lane, ShadowRecorder recorder, Clock clock) {
        this.lane = lane;
        this.recorder = recorder;
        this.clock = clock;
    }

    /** The stage for this lane; a plain pass-through when no route has shadow traffic (null). */
    public static Stage of(ShadowLane lane, ShadowRecorder recorder, Clock clock) {
        return lane == null ? (exchange, sink, next) -> next.proceed(exchange, sink) : new ShadowStage(lane, recorder, clock);
    }

    @Override
    public void handle(Exchange exchange, ReplySink sink, Chain next) {
        RouteGroup group = exchange.routes();
        Shadow shadow = group == null ? null : group.shadow();
        // a sample that would be shed (max_in_flight calls under way) is shed now, before its answer is copied
        if (shadow == null || exchange.api() == Api.OPENAI_EMBEDDINGS || !shadow.sampled() || !shadow.hasRoom()) {
            next.proceed(exchange, sink);
            return;
        }
        next.proceed(exchange, new Watch(exchange, sink, shadow));
    }

    /** Passes the client's answer on untouched, keeping a copy; starts the shadow call after the client's last byte. */
    private final class Watch extends ReplySink.Forwarding {
        private final Exchange exchange;
        private final Shadow shadow;
        private Buffer answer = Buffer.buffer(1024);
        private int status;

        Watch(Exchange exchange, ReplySink next, Shadow shadow) {
            super(next);
            this.exchange = exchange;
            this.shadow = shadow;
        }

        @Override
        public void start(int status, MultiMap headers) {
            this.status = status;
            next.start(status, headers);
        }

        @Override
        public void data(Buffer chunk) {
            // copied before it is passed on: the socket may release the chunk once written
            if (answer != null) {
                if (answer.length() + chunk.length() > MAX_ANSWER_BYTES) answer = null;
                else answer.appendBuffer(chunk);
            }
            next.data(chunk);
        }

        @Override
        public void end() {
            next.end();
            if (status < 200 || status >= 300 || answer == null || exchange.clientGone()) return;
            // the slot is taken here, so calls the lane has not got to yet count against max_in_flight: shed, not queued
            if (!shadow.tryStart()) return;
            Production production = new Production(exchange.servedModel(), exchange.stream(), answer, exchange.cost(),
                    (System.nanoTime() - exchange.arrivedNanos()) / 1_000_000);
            // handed over: nothing of the shadow call runs on the client's event loop
            lane.submit(() -> launch(exchange, shadow, production));
        }
    }

    private record Production(String model, boolean stream, Buffer answer, BigDecimal costUsd, long millis) {
    }

    private void launch(Exchange client, Shadow shadow, Production production) {
        try {
            // copied here, not on the client's event loop: nothing changes a request's headers once it has arrived
            MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(client.requestHeaders());
            ObjectNode body = client.body().deepCopy();
            body.put("model", shadow.candidate().name());
            body.remove("stream");
            body.remove("stream_options");
            Exchange call = new Exchange(client.requestId(), client.api(), clock.instant(), System.nanoTime(), headers,
                    Json.buffer(body), body);
            call.authenticate(new Principal(Shadow.KEY, shadow.tags()), shadow.tags());
            call.route(shadow.candidate());
            call.routes(shadow.candidateGroup());
            lane.path().proceed(call, new Collect(client, call, shadow, production));
        } catch (RuntimeException e) {
            shadow.finished(false, true);
        }
    }

    /** Where the candidate's answer goes instead of a client: kept whole, then handed to the recorder. */
    private final class Collect implements ReplySink {
        private final Exchange client;
        private final Exchange call;
        private final Shadow shadow;
        private final Production production;
        private final Buffer body = Buffer.buffer(1024);
        private int status;
        private boolean done;

        Collect(Exchange client, Exchange call, Shadow shadow, Production production) {
            this.client = client;
            this.call = call;
            this.shadow = shadow;
            this.production = production;
        }

        @Override public void usage(Usage usage, String servedModel, boolean estimated) { }

        @Override
        public void start(int status, MultiMap headers) {
            this.status = status;
        }

        @Override
        public void data(Buffer chunk) {
            if (body.length() + chunk.length() <= MAX_ANSWER_BYTES) body.appendBuffer(chunk);
        }

        @Override
        public void end() {
            boolean ok = status >= 200 && status < 300;
            finish(ok ? body : null, ok ? null : "HTTP " + status + ": " + Json.tree(body).path("error").path("message").asText(""));
        }

        @Override
        public void fail(GatewayError error) {
            if (call.error() == null) {
                // refused before metering (a budget, a rate limit, the runaway guard): nothing spent, nothing to score
                if (!done) shadow.finished(true, false);
                done = true;
                return;
            }
            finish(null, error.message());
        }

        private void finish(Buffer answer, String error) {
            if (done) return;
            done = true;
            shadow.finished(false, answer == null);
            if (recorder == null) return;
            recorder.record(new ShadowRecorder.Pair(client.arrivedAt(), client.requestId(), shadow.route(),
                    shadow.candidate().name(), client.api(), client.body(), production.model(), production.stream(),
                    production.answer(), production.costUsd(), production.millis(), answer, call.cost(),
                    (System.nanoTime() - call.arrivedNanos()) / 1_000_000, error));
        }
    }
}
