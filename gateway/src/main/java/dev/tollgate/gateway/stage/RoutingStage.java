package dev.tollgate.gateway.stage;

import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.route.Route;
import dev.tollgate.gateway.route.Router;
import dev.tollgate.gateway.tier.Tiers;

import java.util.List;
import java.util.Optional;

/** Finds the provider and upstream model for the model the client asked for (for a tiered model, by its rules). */
public final class RoutingStage implements Stage {

    private static final int MODELS_LISTED = 20;

    private final Router router;

    public RoutingStage(Router router) {
        this.router = router;
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
            Tiers.Choice tier = Tiers.choose(tiered, exchange);
            exchange.tier(tier);
            exchange.route(tier.route());
            exchange.routes(tier.group());
            exchange.tags(Tiers.tagged(exchange.tags(), tier.name()));
            next.proceed(exchange, sink);
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

    private static String listed(List<String> names) {
        if (names.isEmpty()) return "(none configured)";
        String shown = String.join(", ", names.subList(0, Math.min(MODELS_LISTED, names.size())));
        return names.size() > MODELS_LISTED ? shown + ", … (" + names.size() + " in all; GET /v1/models)" : shown;
    }
}
