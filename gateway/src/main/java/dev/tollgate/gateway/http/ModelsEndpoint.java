package dev.tollgate.gateway.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.Rates;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.gateway.route.Route;
import dev.tollgate.gateway.route.RouteGroup;
import dev.tollgate.gateway.tier.Tiers;

import java.util.List;
import java.util.Optional;

/**
 * {@code GET /v1/models}: the models this gateway serves, in OpenAI's list format, or Anthropic's when the client
 * sends {@code anthropic-version}. Each entry carries its current price in a {@code tollgate} extension field, with
 * the upstream model it is sent to; a route, each deployment's ({@code deployments}), a tiered name, its tiers.
 */
final class ModelsEndpoint {

    private final GatewayServices services;

    ModelsEndpoint(GatewayServices services) {
        this.services = services;
    }

    void handle(ServerRequest request) {
        WireFormat format = request.getHeader("anthropic-version") != null ? WireFormat.ANTHROPIC : WireFormat.OPENAI;
        if (!services.keys().open()) {
            String key = dev.tollgate.gateway.auth.KeyStore.presentedKey(request.headers());
            if (key == null || services.keys().find(key).isEmpty()) {
                HttpReply.answer(request.response(), GatewayError.unauthorized("a valid API key is required to list models"), format,
                        RequestIds.next());
                return;
            }
        }
        List<Route> routes = services.router().all();
        ObjectNode body = Json.object();
        ArrayNode data = body.putArray("data");
        for (Route route : routes) {
            ObjectNode entry = data.addObject();
            if (format == WireFormat.ANTHROPIC) {
                entry.put("type", "model").put("id", route.name()).put("display_name", route.name())
                        .put("created_at", "1970-01-01T00:00:00Z");
            } else {
                entry.put("id", route.name()).put("object", "model").put("created", 0).put("owned_by", route.provider().name());
            }
            ObjectNode ext = extension(route);
            // a route lists every deployment (as a tiered name its tiers): its upstream_model is only the first one's
            RouteGroup group = services.router().group(route.name());
            if (group != null) {
                ArrayNode deployments = ext.putArray("deployments");
                group.deployments().forEach(d -> deployments.addObject().put("name", d.id()).put("model", d.target().model()));
            }
            entry.set("tollgate", ext);
        }
        // tiered names that are not also a model or route: priced by the tier that answers, so no price here
        String lastTiered = null;
        for (Tiers.Tiered tiered : services.router().tiers().all()) {
            if (services.router().route(tiered.name()).isPresent()) continue;
            ObjectNode entry = data.addObject();
            if (format == WireFormat.ANTHROPIC) {
                entry.put("type", "model").put("id", tiered.name()).put("display_name", tiered.name())
                        .put("created_at", "1970-01-01T00:00:00Z");
            } else {
                entry.put("id", tiered.name()).put("object", "model").put("created", 0).put("owned_by", "tollgate");
            }
            ArrayNode ladder = entry.putObject("tollgate").putArray("tiers");
            tiered.config().ladder().forEach(t -> ladder.addObject().put("name", t.name()).put("model", t.model()));
            lastTiered = tiered.name();
        }
        if (format == WireFormat.ANTHROPIC) {
            body.put("has_more", false);
            body.put("first_id", data.isEmpty() ? null : data.get(0).path("id").asText());
            body.put("last_id", lastTiered != null ? lastTiered : routes.isEmpty() ? null : routes.get(routes.size() - 1).name());
        } else {
            body.put("object", "list");
        }
        request.response().putHeader("content-type", "application/json").end(Json.buffer(body));
    }

    private ObjectNode extension(Route route) {
        ObjectNode ext = Json.object();
        ext.put("provider", route.provider().name()).put("upstream_model", route.model());
        Optional<ModelPrice> price = services.catalog().get().priceAt(route.pricedAs(), services.clock().instant());
        if (price.isPresent()) {
            Rates r = price.get().rates();
            ObjectNode p = ext.putObject("price");
            p.put("currency", "USD").put("unit", "per_million_tokens");
            p.put("input", r.input()).put("output", r.output()).put("cached_input", r.cachedInput());
            p.put("effective", price.get().effectiveFrom().toString()).put("version", price.get().version());
        } else {
            ext.putNull("price");
        }
        return ext;
    }
}
