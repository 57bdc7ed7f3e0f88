package dev.tollgate.gateway.tier;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.stage.MeteringStage;
import dev.tollgate.gateway.stage.Stage;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The cascade: a request to a tiered model whose cascade is on is answered by its tier only when the answer passes
 * the checks ({@link AnswerChecks}); otherwise the next tier up is tried, until the top tier, whose answer stands.
 * Each attempt goes through the rest of the path (budgets, metering, the provider) on its own, so each is reserved,
 * priced and in the ledger; an escalated attempt's row says {@code attempt_reason = escalated}. The client sees only
 * the answer that stands, with the cost of all attempts in {@code x-tollgate-cost-usd}.
 *
 * <p>A stream is cascaded only when the client allows it to be held whole first ({@code x-tollgate-cascade: buffer}):
 * it is then checked and replayed event by event. Other streams go to their tier as chosen.
 */
public final class CascadeStage implements Stage {

    public static final String ESCALATED = "escalated";
    public static final String TIER_HEADER = "x-tollgate-tier";
    private static final AsciiString TIER_NAME = AsciiString.cached(TIER_HEADER);
    /** {@code x-tollgate-cascade: buffer}: the client lets a stream be held whole, so it can be cascaded. */
    public static final String CASCADE_HEADER = "x-tollgate-cascade";
    private static final String COST_COMMENT = ": " + MeteringStage.COST_HEADER + "=";
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(CascadeStage.class);

    @Override
    public void handle(Exchange exchange, ReplySink sink, Chain next) {
        Tiers.Choice tier = exchange.tier();
        if (tier == null || !tier.model().config().cascade().enabled() || tier.next() == null
                || exchange.stream() && !"buffer".equalsIgnoreCase(exchange.requestHeaders().get(CASCADE_HEADER))) {
            next.proceed(exchange, tier == null ? sink : withTierHeader(sink, tier, null));
            return;
        }
        new Run(exchange, sink, next).attempt(tier);
    }

    /** One request's way up the ladder. Confined to the request's event loop. */
    private static final class Run {
        private final Exchange exchange;
        private final ReplySink client;
        private final Chain next;
        private BigDecimal spent = BigDecimal.ZERO;

        Run(Exchange exchange, ReplySink client, Chain next) {
            this.exchange = exchange;
            this.client = client;
            this.next = next;
        }

        void attempt(Tiers.Choice tier) {
            exchange.resetOutcome();
            exchange.tier(tier);
            exchange.route(tier.route());
            exchange.routes(tier.group());
            exchange.tags(tier.tagged(exchange.tags()));
            // a route group numbers its own attempts from here; a single model is one attempt
            if (tier.group() == null) exchange.attempt(exchange.attempt() + 1);
            if (tier.next() == null) {
                exchange.verdict(null);
                next.proceed(exchange, withTierHeader(client, tier, this));
                return;
            }
            Held held = new Held(tier);
            exchange.verdict(held::judge);
            next.proceed(exchange, held);
        }

        /** The cost of the attempts so far, the one standing included. */
        BigDecimal total() {
            return exchange.cost() == null ? spent : spent.add(exchange.cost());
        }

        /** A tier's answer, held until judged: then replayed to the client, or dropped for the next tier's. */
        private final class Held implements ReplySink {
            private final Tiers.Choice tier;
            private final List<Consumer<ReplySink>> replay = new ArrayList<>(4);
            private final Buffer body = Buffer.buffer();
            private int status;
            private boolean escalate;

            Held(Tiers.Choice tier) {
                this.tier = tier;
            }

            /** Called by metering just before it records the attempt: the attempt's reason, or null when it stands. */
            String judge(GatewayError failure) {
                String why;
                if (exchange.clientGone()) {
                    why = null;
                } else if (failure != null) {
                    why = "failed: " + failure.message();
                } else if (status < 200 || status >= 300) {
                    why = "HTTP " + status;
                } else if (exchange.stream()) {
                    why = AnswerChecks.streamFailure(tier.model().config().cascade(), exchange.api(), exchange.body(), body.toString());
                } else {
                    JsonNode answer = Json.tree(body);
                    why = answer.isObject() ? AnswerChecks.failure(tier.model().config().cascade(), exchange.api(), exchange.body(), answer)
                            : "unreadable answer";
                }
                escalate = why != null;
                tier.model().counted(tier.index(), escalate);
                if (!escalate) return null;
                log.debug("request {}: tier '{}' of '{}' escalated: {}", exchange.requestId(), tier.name(), tier.model().name(), why);
                // the answer thrown away cost what it cost and saved nothing
                if (exchange.cost() != null) exchange.savedByRouting(exchange.cost().negate());
                return ESCALATED;
            }

            @Override
            public void usage(Usage usage, String servedModel, boolean estimated) {
                replay.add(s -> s.usage(usage, servedModel, estimated));
            }

            @Override
            public void start(int status, MultiMap headers) {
                this.status = status;
                replay.add(s -> s.start(status, headers));
            }

            @Override
            public void data(Buffer chunk) {
                body.appendBuffer(chunk);
                replay.add(s -> s.data(chunk));
            }

            @Override
            public void end() {
                if (escalate) {
                    escalated();
                    return;
                }
                ReplySink out = withTierHeader(client, tier, Run.this);
                replay.forEach(r -> r.accept(out));
                out.end();
            }

            @Override
            public void fail(GatewayError error) {
                if (escalate) escalated();
                else client.fail(error);
            }

            private void escalated() {
                if (exchange.cost() != null) spent = spent.add(exchange.cost());
                attempt(tier.next());
            }
        }
    }

    /** Names the tier that answered; after a cascade, the cost of every attempt is the cost the client is told. */
    private static ReplySink withTierHeader(ReplySink sink, Tiers.Choice tier, Run run) {
        return new ReplySink.Forwarding(sink) {
            @Override
            public void start(int status, MultiMap headers) {
                headers.set(TIER_NAME, tier.name());
                if (run != null && headers.contains(MeteringStage.COST_HEADER)) {
                    headers.set(MeteringStage.COST_HEADER, MeteringStage.format(run.total()));
                }
                next.start(status, headers);
            }

            @Override
            public void data(Buffer chunk) {
                // a stream's cost comes last, as a comment: after a cascade it too is the cost of every attempt
                if (run != null && run.spent.signum() != 0 && chunk.length() < 200 && chunk.toString().startsWith(COST_COMMENT)) {
                    String rest = chunk.toString().substring(COST_COMMENT.length());
                    String estimated = rest.contains(" estimated") ? " estimated" : "";
                    chunk = Buffer.buffer(COST_COMMENT + MeteringStage.format(run.total()) + estimated + "\n\n");
                }
                next.data(chunk);
            }
        };
    }
}
