package dev.tollgate.gateway.route;

import dev.tollgate.gateway.config.ConfigLoader.ConfigException;
import dev.tollgate.gateway.config.GatewayConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Resolves the model a client asks for to a {@link Route}. */
public final class Router {

    private final Map<String, Route> routes;

    public Router(GatewayConfig config) {
        Map<String, Route> map = new LinkedHashMap<>();
        for (GatewayConfig.Model m : config.models()) {
            GatewayConfig.Provider provider = config.providers().get(m.provider());
            if (provider == null) {
                throw new ConfigException("model '" + m.name() + "' names provider '" + m.provider()
                        + "', which is not among the providers: " + config.providers().keySet());
            }
            if (map.put(m.name(), new Route(m.name(), provider, m.model(), m.pricedAs(), m.free())) != null) {
                throw new ConfigException("model '" + m.name() + "' is configured twice");
            }
        }
        this.routes = Map.copyOf(map);
        this.names = List.copyOf(map.keySet());
    }

    private final List<String> names;

    public Optional<Route> route(String model) {
        return model == null ? Optional.empty() : Optional.ofNullable(routes.get(model));
    }

    /** Model names in configuration order. */
    public List<String> names() {
        return names;
    }

    public List<Route> all() {
        return names.stream().map(routes::get).toList();
    }
}
