package dev.tollgate.gateway.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.auth.KeyStore;
import dev.tollgate.gateway.auth.Tags;
import dev.tollgate.gateway.observe.ObserveConfig;
import dev.tollgate.gateway.cache.CacheConfig;
import dev.tollgate.gateway.http.NetworkTransport;
import dev.tollgate.gateway.route.RouteConfig;
import dev.tollgate.gateway.tier.TierConfig;
import dev.tollgate.store.duckdb.LedgerOptions;
import dev.tollgate.store.postgres.PgDatabase;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the gateway's YAML configuration. {@code ${VAR}} and {@code ${VAR:-default}} in any string are replaced
 * from the environment; a variable that is not set and has no default is an error naming it, so a missing secret
 * is caught at start-up rather than at the first request. The result is checked against {@link ConfigSchema}: an
 * unknown key, a value of the wrong type or out of range stops start-up, so a typo never switches a control off.
 */
public final class ConfigLoader {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");
    // a key written twice would silently keep only its last value
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    private final Function<String, String> env;

    public ConfigLoader(Function<String, String> env) {
        this.env = env;
    }

    public static GatewayConfig load(Path file) {
        ConfigLoader loader = new ConfigLoader(System::getenv);
        return loader.build(loader.read(file), file.toString());
    }

    public GatewayConfig parse(String yaml) {
        return build(read(yaml, "config"), "config");
    }

    /** A file's configuration tree, as {@link #read(String, String)}; a file that cannot be read is a {@link ConfigException} too. */
    public JsonNode read(Path file) {
        try {
            return read(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such configuration file (check the path)");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read it (" + e.getMessage() + ")");
        }
    }

    /**
     * The configuration tree with environment variables substituted, checked against the schema; every problem is in
     * the exception, with {@code source}, line and column.
     */
    public JsonNode read(String yaml, String source) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? source : source + ":" + at.getLineNr() + ":" + at.getColumnNr();
            throw new ConfigException(where + ": not valid YAML: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
        if (root == null || root.isMissingNode() || root.isNull()) root = YAML.createObjectNode();
        if (!root.isObject()) throw new ConfigException(source + ": the configuration must be a YAML mapping of sections (server:, providers:, …)");
        try {
            root = substitute(root, "");
        } catch (ConfigException e) {
            throw new ConfigException(source + ": " + e.getMessage());
        }
        List<String> problems = ConfigSchema.get().problems(root, yaml, source);
        if (!problems.isEmpty()) throw new ConfigException(problems);
        return root;
    }

    /** The configuration a checked tree describes; a mistake the schema cannot see is reported with {@code source}. */
    public GatewayConfig build(JsonNode root, String source) {
        try {
            return build(root);
        } catch (ConfigException e) {
            throw new ConfigException(source + ": " + e.getMessage());
        }
    }

    private static GatewayConfig build(JsonNode root) {
        return new GatewayConfig(server(root.path("server")), new GatewayConfig.Admin(text(root.path("admin"), "token")),
                providers(root.path("providers")), models(root.path("models")), keys(root.path("keys")),
                prices(root.path("prices")), ObserveConfig.parse(root), CacheConfig.parse(root.get("cache")),
                SpendControls.parse(root.path("spend_controls")), RouteConfig.parse(root.get("routes")),
                TierConfig.parse(root.get("tiers")), ledger(root.path("ledger")));
    }

    /** Section {@code ledger:} (README, configuration reference). */
    private static GatewayConfig.LedgerSettings ledger(JsonNode n) {
        LedgerOptions d = LedgerOptions.DEFAULTS;
        String onFailure = n.path("on_failure").asText("refuse");
        if (!onFailure.equals("refuse") && !onFailure.equals("serve")) {
            throw new ConfigException("ledger.on_failure must be 'refuse' or 'serve', not " + onFailure);
        }
        String journal = text(n, "journal_dir");
        try {
            LedgerOptions options = new LedgerOptions(journal == null ? null : Path.of(journal),
                    n.path("memory_rows").asInt(d.memoryRows()),
                    n.has("spool_max_mb") ? n.get("spool_max_mb").asLong() << 20 : d.spoolMaxBytes(),
                    n.has("wal_max_mb") ? n.get("wal_max_mb").asLong() << 20 : d.walMaxBytes(),
                    n.has("min_free_mb") ? n.get("min_free_mb").asLong() << 20 : d.minFreeBytes(),
                    onFailure.equals("serve"),
                    n.has("memory_limit_mb") ? n.get("memory_limit_mb").asLong() << 20 : d.memoryLimitBytes(),
                    n.path("threads").asInt(d.threads()));
            GatewayConfig.Postgres postgres = !"postgres".equals(n.path("type").asText("duckdb")) ? null
                    : new GatewayConfig.Postgres(text(n, "url"), n.path("schema").asText("tollgate"), n.path("pool_size").asInt(8),
                            postgresConnectTimeout(n));
            return new GatewayConfig.LedgerSettings(options, postgres);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** ledger.connect_timeout_ms: HikariCP takes nothing shorter than 250 ms (it would wait its default 30 s instead). */
    private static Duration postgresConnectTimeout(JsonNode ledger) {
        if (!ledger.has("connect_timeout_ms")) return PgDatabase.DEFAULT_CONNECT_TIMEOUT;
        long ms = ledger.get("connect_timeout_ms").asLong();
        if (ms < PgDatabase.LEAST_CONNECT_TIMEOUT.toMillis()) {
            throw new IllegalArgumentException("ledger.connect_timeout_ms must be at least " + PgDatabase.LEAST_CONNECT_TIMEOUT.toMillis() + ", not " + ms);
        }
        return Duration.ofMillis(ms);
    }

    private JsonNode substitute(JsonNode node, String path) {
        if (node.isTextual()) {
            Matcher m = VARIABLE.matcher(node.asText());
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String value = env.apply(m.group(1));
                if (value == null) value = m.group(3);
                if (value == null) {
                    throw new ConfigException("environment variable " + m.group(1) + " is not set (used at " + path
                            + "); set it, or write ${" + m.group(1) + ":-default}");
                }
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            return TextNode.valueOf(out.toString());
        }
        if (node.isObject()) {
            ObjectNode copy = ((ObjectNode) node).objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                var e = it.next();
                copy.set(e.getKey(), substitute(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey()));
            }
            return copy;
        }
        if (node.isArray()) {
            var copy = new ObjectMapper().createArrayNode();
            for (int i = 0; i < node.size(); i++) copy.add(substitute(node.get(i), path + "[" + i + "]"));
            return copy;
        }
        return node;
    }

    private static GatewayConfig.Server server(JsonNode n) {
        GatewayConfig.Server d = GatewayConfig.Server.DEFAULTS;
        return new GatewayConfig.Server(
                n.path("max_body_bytes").asLong(d.maxBodyBytes()),
                n.has("upstream_timeout_ms") ? Duration.ofMillis(n.get("upstream_timeout_ms").asLong()) : d.upstreamTimeout(),
                n.has("connect_timeout_ms") ? Duration.ofMillis(n.get("connect_timeout_ms").asLong()) : d.connectTimeout(),
                n.path("event_loops").asInt(d.eventLoops()),
                n.path("default_max_tokens").asInt(d.defaultMaxTokens()),
                n.path("max_connections").asInt(d.maxConnections()),
                n.path("max_connections_per_client").asInt(d.maxConnectionsPerClient()),
                n.has("header_timeout_ms") ? Duration.ofMillis(n.get("header_timeout_ms").asLong()) : d.headerTimeout(),
                n.has("keep_alive_timeout_ms") ? Duration.ofMillis(n.get("keep_alive_timeout_ms").asLong()) : d.keepAliveTimeout(),
                n.has("reconnect_within_ms") ? Duration.ofMillis(n.get("reconnect_within_ms").asLong()) : d.reconnectWithin(),
                n.hasNonNull("transport") ? NetworkTransport.of(n.get("transport").asText()) : d.transport());
    }

    private static Map<String, GatewayConfig.Provider> providers(JsonNode n) {
        Map<String, GatewayConfig.Provider> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            var e = it.next();
            String name = e.getKey();
            JsonNode p = e.getValue();
            String type = text(p, "type"); // the schema has checked it and responses: against their choices
            String baseUrl = text(p, "base_url");
            if (baseUrl == null) baseUrl = defaultBaseUrl(type, name);
            Map<String, String> headers = new LinkedHashMap<>();
            p.path("headers").fields().forEachRemaining(h -> headers.put(h.getKey(), h.getValue().asText()));
            String responses = p.path("responses").asText("native");
            out.put(name, new GatewayConfig.Provider(name, type, stripSlash(baseUrl), text(p, "api_key"),
                    text(p, "api_version"), headers, responses.equals("chat")));
        }
        return out;
    }

    private static String defaultBaseUrl(String type, String name) {
        return switch (type) {
            case "openai" -> "https://api.openai.com/v1";
            case "anthropic" -> "https://api.anthropic.com";
            default -> throw new ConfigException("providers." + name + ".base_url is required for type " + type);
        };
    }

    private static List<GatewayConfig.Model> models(JsonNode n) {
        List<GatewayConfig.Model> out = new ArrayList<>();
        for (JsonNode m : n) {
            String name = text(m, "name");
            String provider = text(m, "provider");
            if (name == null || provider == null) throw new ConfigException("every entry of models needs a name and a provider: " + m);
            String model = text(m, "model");
            // the schema has checked it is true or false (as a boolean or as text)
            out.add(new GatewayConfig.Model(name, provider, model == null ? name : model, text(m, "price_as"), m.path("free").asBoolean(false)));
        }
        return out;
    }

    private static List<GatewayConfig.Key> keys(JsonNode n) {
        List<GatewayConfig.Key> out = new ArrayList<>();
        for (JsonNode k : n) {
            String key = text(k, "key");
            String hash = text(k, "key_sha256");
            if (key == null && hash == null) throw new ConfigException("every entry of keys needs a key (or key_sha256): " + text(k, "name"));
            Map<String, String> tags = new LinkedHashMap<>();
            k.path("tags").fields().forEachRemaining(t -> tags.put(t.getKey(), t.getValue().asText()));
            String name = text(k, "name");
            try {
                Tags.checkNotReserved(tags);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("keys: " + (name == null ? "a key" : "the key '" + name + "'") + ": " + e.getMessage());
            }
            out.add(new GatewayConfig.Key(hash != null ? hash.toLowerCase() : KeyStore.hash(key),
                    name == null ? "key-" + out.size() : name, tags));
        }
        return out;
    }

    private static List<ModelPrice> prices(JsonNode n) {
        List<ModelPrice> out = new ArrayList<>();
        for (JsonNode p : n) {
            try {
                List<ModelPrice> parsed = PriceCatalog.parseModel(p);
                out.addAll(parsed.stream().map(mp -> mp.source().isEmpty() ? withSource(mp) : mp).toList());
            } catch (IllegalArgumentException e) {
                throw new ConfigException("prices: " + e.getMessage());
            }
        }
        return out;
    }

    private static ModelPrice withSource(ModelPrice p) {
        return p.withSource("config");
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** A configuration mistake, worded for the person who made it: one line each (the message is the first). */
    public static final class ConfigException extends RuntimeException {
        private final List<String> problems;

        public ConfigException(String message) {
            this(List.of(message));
        }

        public ConfigException(List<String> problems) {
            super(problems.getFirst() + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more problem"
                    + (problems.size() > 2 ? "s" : "") + ": `tollgate config check` lists them all)" : ""));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }
}
