package dev.tollgate.gateway.config;

import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.gateway.http.NetworkTransport;
import dev.tollgate.gateway.observe.ObserveConfig;
import dev.tollgate.gateway.cache.CacheConfig;
import dev.tollgate.gateway.route.RouteConfig;
import dev.tollgate.gateway.tier.TierConfig;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The gateway's configuration, as read from one YAML file (see {@link ConfigLoader} and the README's
 * configuration reference). Immutable.
 */
public record GatewayConfig(Server server, Admin admin, Map<String, Provider> providers, List<Model> models,
                            List<Key> keys, List<ModelPrice> prices, ObserveConfig observe, CacheConfig cache,
                            SpendControls controls, List<RouteConfig> routes, List<TierConfig> tiers, LedgerSettings ledger) {

    /** This configuration with another admin section (serve's generated token). */
    public GatewayConfig withAdmin(Admin newAdmin) {
        return new GatewayConfig(server, newAdmin, providers, models, keys, prices, observe, cache, controls, routes, tiers, ledger);
    }

    /** This configuration with other providers and models (serve's in-process sandbox). */
    public GatewayConfig withProviders(Map<String, Provider> newProviders, List<Model> newModels) {
        return new GatewayConfig(server, admin, newProviders, newModels, keys, prices, observe, cache, controls, routes, tiers, ledger);
    }

    /** The model names providers are asked for: each model's and each route deployment's. */
    public List<String> upstreamModels() {
        return java.util.stream.Stream.concat(models.stream().map(Model::model),
                routes.stream().flatMap(r -> r.deployments().stream()).map(RouteConfig.DeploymentConfig::model)).distinct().toList();
    }

    public GatewayConfig {
        ledger = ledger == null ? LedgerSettings.DEFAULTS : ledger;
        server = server == null ? Server.DEFAULTS : server;
        admin = admin == null ? new Admin(null) : admin;
        providers = providers == null ? Map.of() : Map.copyOf(providers);
        models = models == null ? List.of() : List.copyOf(models);
        keys = keys == null ? List.of() : List.copyOf(keys);
        prices = prices == null ? List.of() : List.copyOf(prices);
        observe = observe == null ? ObserveConfig.DEFAULTS : observe;
        cache = cache == null ? CacheConfig.DEFAULTS : cache;
        controls = controls == null ? SpendControls.NONE : controls;
        routes = routes == null ? List.of() : List.copyOf(routes);
        tiers = tiers == null ? List.of() : List.copyOf(tiers);
    }

    /**
     * @param maxBodyBytes      requests larger than this are refused with 413
     * @param upstreamTimeout   how long an upstream may stay silent (no byte) before the call fails with 504
     * @param connectTimeout    how long to wait for a connection to a provider
     * @param eventLoops        event-loop threads; 0 = one per core
     * @param defaultMaxTokens  max_tokens sent to providers that require it (Anthropic) when the client set none
     * @param maxConnections    client connections open at once; more are refused
     * @param maxConnectionsPerClient client connections open at once from one address; 0 = no cap (behind a load
     *                          balancer every client has its address)
     * @param headerTimeout     how long a new connection may take to send a complete request head
     * @param keepAliveTimeout  how long a connection may wait, after an answer, for its next complete request head
     * @param reconnectWithin   how long a model of one deployment keeps opening a connection its provider refused
     *                          (nothing was sent) before the client gets the failure; zero = not at all
     * @param transport         how the gateway's sockets talk to the kernel (io_uring, epoll, NIO, or the best of them)
     */
    public record Server(long maxBodyBytes, Duration upstreamTimeout, Duration connectTimeout, int eventLoops,
                         int defaultMaxTokens, int maxConnections, int maxConnectionsPerClient, Duration headerTimeout,
                         Duration keepAliveTimeout, Duration reconnectWithin, NetworkTransport transport) {
        public static final Server DEFAULTS = new Server(10 * 1024 * 1024, Duration.ofMinutes(10),
                Duration.ofSeconds(10), 0, 4096, 10_000, 1_000, Duration.ofSeconds(10), Duration.ofSeconds(75),
                Duration.ofMillis(1500), NetworkTransport.AUTO);

        /** The server settings with the defaults' connection limits and transport. */
        public Server(long maxBodyBytes, Duration upstreamTimeout, Duration connectTimeout, int eventLoops, int defaultMaxTokens) {
            this(maxBodyBytes, upstreamTimeout, connectTimeout, eventLoops, defaultMaxTokens, DEFAULTS.maxConnections,
                    DEFAULTS.maxConnectionsPerClient, DEFAULTS.headerTimeout, DEFAULTS.keepAliveTimeout, DEFAULTS.reconnectWithin,
                    DEFAULTS.transport);
        }
    }

    /**
     * Section {@code ledger:}.
     *
     * @param store how the ledger keeps rows when its disk fails (journal, spool, bounds, on_failure)
     */
    public record LedgerSettings(dev.tollgate.store.duckdb.LedgerOptions store, Postgres postgres) {
        public static final LedgerSettings DEFAULTS = new LedgerSettings(dev.tollgate.store.duckdb.LedgerOptions.DEFAULTS, null);

        /** Whether the ledger (and the control plane with it) is a PostgreSQL shared by replicas. */
        public boolean shared() {
            return postgres != null;
        }
    }

    /**
     * {@code ledger: {type: postgres}}: the ledger, keys, budgets and alerts of a group of replicas.
     *
     * @param url      as the operator wrote it ({@code postgres://…} or JDBC); holds the password, never printed
     * @param schema   the schema everything lives in
     * @param poolSize connections each replica keeps
     * @param connectTimeout how long start-up waits for the database, and a query for a connection of the pool
     */
    public record Postgres(String url, String schema, int poolSize, Duration connectTimeout) {
    }

    /** @param token the bearer token of the admin API; null when none was configured */
    public record Admin(String token) {
    }

    /**
     * An upstream.
     *
     * @param type       "openai" (OpenAI and every OpenAI-compatible server), "anthropic" or "azure"
     * @param baseUrl    OpenAI style includes the version ("https://api.openai.com/v1"); Anthropic's does not
     *                   ("https://api.anthropic.com"); Azure's is the resource ("https://NAME.openai.azure.com")
     * @param apiKey     the provider's secret, usually "${ENV_VAR}"
     * @param apiVersion Azure's api-version query parameter
     * @param headers    extra headers sent with every upstream request
     * @param responsesOverChat {@code responses: chat}: the provider has no Responses API, so {@code /v1/responses}
     *                   calls are translated to Chat Completions
     */
    public record Provider(String name, String type, String baseUrl, String apiKey, String apiVersion,
                           Map<String, String> headers, boolean responsesOverChat) {
        public Provider {
            headers = headers == null ? Map.of() : Map.copyOf(headers);
        }

        public Provider(String name, String type, String baseUrl, String apiKey, String apiVersion, Map<String, String> headers) {
            this(name, type, baseUrl, apiKey, apiVersion, headers, false);
        }
    }

    /**
     * A model clients may ask for.
     *
     * @param name     what clients send as "model"
     * @param provider which provider serves it
     * @param model    what the provider is asked for, and what the call is priced as
     * @param priceAs  the catalog model to price it as when the provider's name is not in the catalog (Azure
     *                 deployment names, self-hosted models); defaults to {@code model}
     * @param free     {@code free: true}: its calls cost nothing here (self-hosted, paid for elsewhere), so it needs no
     *                 price and budgets let it through; a model without a price that is not free is refused where a
     *                 budget applies
     */
    public record Model(String name, String provider, String model, String priceAs, boolean free) {
        public Model(String name, String provider, String model, String priceAs) {
            this(name, provider, model, priceAs, false);
        }

        public String pricedAs() {
            return priceAs == null ? model : priceAs;
        }
    }

    /**
     * A virtual key. Only the SHA-256 of the key is kept in memory.
     *
     * @param keyHash lowercase hex SHA-256 of the key
     * @param name    how the key appears in the ledger and reports
     * @param tags    attribution tags applied to every request made with the key
     */
    public record Key(String keyHash, String name, Map<String, String> tags) {
        public Key {
            tags = tags == null ? Map.of() : Map.copyOf(tags);
        }
    }
}
