package dev.tollgate.gateway.stage;

import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.cache.Embedder;
import dev.tollgate.gateway.cache.Question;
import dev.tollgate.gateway.route.Route;
import dev.tollgate.gateway.route.Router;
import dev.tollgate.gateway.tier.Tiers;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Finds the provider and upstream model for the model the client asked for (for a tiered model, by its rules, else
 * by its classifier: the question is embedded through the gateway, so that call is metered as the caller's, and
 * the nearest centroid picks the tier).
 */
public final class RoutingStage implements Stage {

    private static final int MODELS_LISTED = 20;
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RoutingStage.class);

    private final Router router;
    private final Function<String, Embedder> embedders;

    /** A routing stage whose tier classifiers are not asked (their tiered models use their default tier). */
    public RoutingStage(Router router) {
        this(router, model -> null);
    }

    /** @param embedders the embedder of an embeddings model, for tier classifiers (this event loop's) */
    public RoutingStage(Router router, Function<String, Embedder> embedders) {
        this.router = router;
        this.embedders = embedders;
    }

    @Override
    public void handle(Exchange exchange, ReplySink sink, Chain next) {
        String model = exchange.requestedModel();
        if (model == null || model.isEmpty()) {
            sink.fail(GatewayError.badRequest("you must provide a model parameter", "model"));
            return;
        }
        Tiers.Tiered tiered = router.tiers().get(model);
        if (tiered != null) {
            // a tiered model: what the request is picks the tier (a model or route) that serves it
            Tiers.Choice tier = Tiers.byRules(tiered, exchange);
            if (tier == null) {
                classify(tiered, exchange, sink, next);
                return;
            }
            routeTo(tier, exchange, sink, next);
            return;
        }
        Optional<Route> route = router.route(model);
        if (route.isEmpty()) {
            sink.fail(GatewayError.notFound("The model '" + model + "' does not exist on this gateway. Available models: "
                    + listed(router.names()), "model_not_found"));
            return;
        }
        exchange.route(route.get());
        exchange.routes(router.group(model));
        next.proceed(exchange, sink);
    }

    private static void routeTo(Tiers.Choice tier, Exchange exchange, ReplySink sink, Chain next) {
        exchange.tier(tier);
        exchange.route(tier.route());
        exchange.routes(tier.group());
        exchange.tags(tier.tagged(exchange.tags()));
        next.proceed(exchange, sink);
    }

    /** No rule matched: the classifier picks the tier from the question's embedding; any trouble, the default does. */
    private void classify(Tiers.Tiered tiered, Exchange exchange, ReplySink sink, Chain next) {
        Tiers.Choice fallback = tiered.choice(tiered.rules().fallback());
        String text = Question.textOf(exchange.api(), exchange.body());
        Embedder embedder = text == null ? null : embedders.apply(tiered.classifier().model().embeddingsModel());
        if (embedder == null) {
            routeTo(fallback, exchange, sink, next);
            return;
        }
        embedder.embed(exchange, text).onComplete(embedded -> {
            Tiers.Choice tier = fallback;
            if (embedded.failed()) {
                log.warn("request {}: the tier classifier of '{}' could not embed the question, so its default tier serves: {}",
                        exchange.requestId(), tiered.name(), embedded.cause().getMessage());
            } else {
                try {
                    tier = tiered.classified(embedded.result());
                } catch (IllegalArgumentException e) {
                    log.warn("request {}: the tier classifier of '{}' failed, so its default tier serves: {}",
                            exchange.requestId(), tiered.name(), e.getMessage());
                }
            }
            routeTo(tier, exchange, sink, next);
        });
    }

    private static String listed(List<String> names) {
        if (names.isEmpty()) return "(none configured)";
        String shown = String.join(", ", names.subList(0, Math.min(MODELS_LISTED, names.size())));
        return names.size() > MODELS_LISTED ? shown + ", … (" + names.size() + " in all; GET /v1/models)" : shown;
    }
}
