package dev.tollgate.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.Period;
import dev.tollgate.core.budget.Scope;
import dev.tollgate.gateway.config.ConfigLoader.ConfigException;

import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code spend_controls:} section: budgets, rate limits, sandbox keys, alert channels and anomaly detection.
 *
 * @param timeZone               the calendar of daily, weekly and monthly budget periods (default UTC)
 * @param defaultMaxOutputTokens output tokens reserved for a request that sets no maximum
 * @param budgets                budgets from the config (the admin API adds and changes more at run time)
 * @param rateLimits             requests and tokens per minute per scope
 * @param sandboxKeys            keys confined to the sandbox provider or named cheap models, with a hard cap
 * @param alerts                 where alerts go and how delivery retries
 * @param anomaly                spend-rate anomaly detection
 * @param runaway                runaway-key detection
 * @param redis                  where budget counters and rate limits are shared with other replicas; null = in this
 *                               process only
 */
public record SpendControls(ZoneId timeZone, int defaultMaxOutputTokens, List<Budget> budgets, List<RateLimit> rateLimits,
                           List<SandboxKey> sandboxKeys, Alerts alerts, Anomaly anomaly, Runaway runaway, Redis redis) {

    /** Output tokens reserved (and sent upstream as the cap) for a request that sets no maximum, unless configured. */
    public static final int DEFAULT_MAX_OUTPUT_TOKENS = 4096;

    public static final SpendControls NONE = new SpendControls(null, 0, null, null, null, null, null, null, null);

    public SpendControls {
        timeZone = timeZone == null ? ZoneId.of("UTC") : timeZone;
        defaultMaxOutputTokens = defaultMaxOutputTokens <= 0 ? DEFAULT_MAX_OUTPUT_TOKENS : defaultMaxOutputTokens;
        budgets = budgets == null ? List.of() : List.copyOf(budgets);
        rateLimits = rateLimits == null ? List.of() : List.copyOf(rateLimits);
        sandboxKeys = sandboxKeys == null ? List.of() : List.copyOf(sandboxKeys);
        alerts = alerts == null ? Alerts.DEFAULTS : alerts;
        anomaly = anomaly == null ? Anomaly.DEFAULTS : anomaly;
        runaway = runaway == null ? Runaway.DEFAULTS : runaway;
    }

    /**
     * @param scope             {@code key:NAME}, {@code TAG:VALUE}, {@code org}; a value of {@code *} gives every key
     *                          (or tag value) its own allowance
     * @param requestsPerMinute 0 = no request limit
     * @param tokensPerMinute   0 = no token limit
     */
    public record RateLimit(Scope scope, long requestsPerMinute, long tokensPerMinute) {
    }

    /**
     * @param key    the virtual key's name
     * @param capUsd the most the key may ever spend
     * @param allow  providers or model names it may use; empty = providers whose name starts with "sandbox"
     */
    public record SandboxKey(String key, BigDecimal capUsd, List<String> allow) {
        public SandboxKey {
            allow = allow == null ? List.of() : List.copyOf(allow);
        }
    }

    /**
     * @param channels    where alerts go; the log always gets them
     * @param maxAttempts delivery attempts per channel before an alert is given up (logged)
     * @param firstBackoff wait before the second attempt; doubled for each one after
     */
    public record Alerts(List<Channel> channels, int maxAttempts, Duration firstBackoff) {
        public static final Alerts DEFAULTS = new Alerts(List.of(), 6, Duration.ofSeconds(1));

        public Alerts {
            channels = channels == null ? List.of() : List.copyOf(channels);
        }
    }

    /** @param type {@code slack} (incoming webhook) or {@code webhook} (JSON, HMAC-signed with {@code secret}) */
    public record Channel(String type, String url, String secret) {
    }

    /**
     * @param enabled     whether spend rates are watched
     * @param factor      alert when the last hour's spend is above this multiple of the usual spend for that hour
     * @param minSpendUsd and at least this much, so that small scopes do not page anyone
     */
    public record Anomaly(boolean enabled, double factor, BigDecimal minSpendUsd) {
        public static final Anomaly DEFAULTS = new Anomaly(true, 2.0, new BigDecimal("5"));
    }

    /**
     * @param enabled          whether keys are watched for runaway loops
     * @param samePrompt       the same request body this many times within {@code window} is a loop
     * @param window           the sliding window for repeats
     * @param rateMultiple     a request rate this many times the key's own usual rate is a runaway
     * @param minRequestsPerMinute and at least this many requests a minute
     * @param throttleFor      0 = alert only; otherwise refuse the key's requests (429) this long after an alert
     */
    public record Runaway(boolean enabled, int samePrompt, Duration window, double rateMultiple, int minRequestsPerMinute,
                          Duration throttleFor) {
        public static final Runaway DEFAULTS = new Runaway(true, 20, Duration.ofMinutes(10), 5.0, 30, Duration.ZERO);
    }

    /**
     * Shared counters: every replica that names the same Redis (and prefix) enforces the same budgets and rate limits.
     *
     * @param url       {@code redis://[user:password@]host:port[/db]}
     * @param keyPrefix put before every key, so that several gateways (or tests) can share one Redis
     * @param failOpen  when Redis cannot be reached: true = let requests through uncounted, false = refuse them (503)
     * @param timeout   how long one Redis call may take before it counts as a failure
     * @param lease     how long a reservation is held at most: one whose call never settles (its replica died, its
     *                  settle was lost) is given back after this long
     */
    public record Redis(String url, String keyPrefix, boolean failOpen, Duration timeout, Duration lease) {
        public Redis {
            keyPrefix = keyPrefix == null ? "tollgate:" : keyPrefix;
            timeout = timeout == null ? Duration.ofSeconds(1) : timeout;
            lease = lease == null ? Duration.ofMinutes(30) : lease;
        }

        static Redis parse(JsonNode n) {
            if (n.isMissingNode() || n.isNull()) return null;
            if (n.isTextual()) return new Redis(url(n.asText()), null, false, null, null);
            String onFailure = n.path("on_failure").asText("closed");
            if (!onFailure.equals("closed") && !onFailure.equals("open")) {
                throw new ConfigException("spend_controls.redis.on_failure must be closed (refuse with 503) or open (let through uncounted), not '" + onFailure + "'");
            }
            long timeoutMs = n.path("timeout_ms").asLong(1000);
            if (timeoutMs <= 0) throw new ConfigException("spend_controls.redis.timeout_ms must be positive");
            long leaseMinutes = n.path("lease_minutes").asLong(30);
            if (leaseMinutes <= 0) throw new ConfigException("spend_controls.redis.lease_minutes must be positive");
            return new Redis(url(n.path("url").asText(null)), n.path("key_prefix").asText(null), onFailure.equals("open"),
                    Duration.ofMillis(timeoutMs), Duration.ofMinutes(leaseMinutes));
        }

        private static String url(String url) {
            if (url == null || !(url.startsWith("redis://") || url.startsWith("rediss://"))) {
                throw new ConfigException("spend_controls.redis needs a url such as redis://127.0.0.1:6379, not '" + url + "'");
            }
            return url;
        }
    }

    static SpendControls parse(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull()) return NONE;
        ZoneId zone = zone(n.path("time_zone").asText("UTC"), "spend_controls.time_zone");
        List<Budget> budgets = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (JsonNode b : n.path("budgets")) {
            Budget budget = budget(b, zone);
            if (!names.add(budget.name())) throw new ConfigException("spend_controls.budgets: '" + budget.name() + "' is defined twice");
            budgets.add(budget);
        }
        List<RateLimit> limits = new ArrayList<>();
        for (JsonNode r : n.path("rate_limits")) {
            try {
                limits.add(new RateLimit(Scope.parse(r.path("scope").asText(null)), r.path("requests_per_minute").asLong(0),
                        r.path("tokens_per_minute").asLong(0)));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("spend_controls.rate_limits: " + e.getMessage());
            }
        }
        List<SandboxKey> sandbox = new ArrayList<>();
        for (JsonNode s : n.path("sandbox_keys")) {
            String key = s.path("key").asText(null);
            if (key == null || !s.hasNonNull("cap_usd")) throw new ConfigException("spend_controls.sandbox_keys: every entry needs key and cap_usd");
            List<String> allow = new ArrayList<>();
            s.path("allow").forEach(a -> allow.add(a.asText()));
            sandbox.add(new SandboxKey(key, money(s.get("cap_usd"), "sandbox_keys." + key + ".cap_usd"), allow));
        }
        JsonNode a = n.path("alerts");
        List<Channel> channels = new ArrayList<>();
        for (JsonNode c : a.path("channels")) {
            String type = c.path("type").asText("");
            if (!Set.of("slack", "webhook", "log").contains(type)) {
                throw new ConfigException("spend_controls.alerts.channels: type must be slack, webhook or log, not '" + type + "'");
            }
            if (!type.equals("log") && !c.hasNonNull("url")) throw new ConfigException("spend_controls.alerts.channels: a " + type + " channel needs a url");
            if (!type.equals("log")) channels.add(new Channel(type, c.get("url").asText(), c.path("secret").asText(null)));
        }
        Alerts alerts = new Alerts(channels, a.path("max_attempts").asInt(Alerts.DEFAULTS.maxAttempts()),
                Duration.ofMillis(a.path("first_backoff_ms").asLong(Alerts.DEFAULTS.firstBackoff().toMillis())));
        JsonNode an = n.path("anomaly");
        Anomaly anomaly = new Anomaly(an.path("enabled").asBoolean(true), an.path("factor").asDouble(Anomaly.DEFAULTS.factor()),
                an.hasNonNull("min_spend_usd") ? money(an.get("min_spend_usd"), "anomaly.min_spend_usd") : Anomaly.DEFAULTS.minSpendUsd());
        JsonNode ru = n.path("runaway");
        Runaway d = Runaway.DEFAULTS;
        Runaway runaway = new Runaway(ru.path("enabled").asBoolean(true), ru.path("same_prompt").asInt(d.samePrompt()),
                Duration.ofMinutes(ru.path("window_minutes").asLong(d.window().toMinutes())),
                ru.path("rate_multiple").asDouble(d.rateMultiple()),
                ru.path("min_requests_per_minute").asInt(d.minRequestsPerMinute()),
                Duration.ofMinutes(ru.path("throttle_minutes").asLong(0)));
        return new SpendControls(zone, n.path("default_max_output_tokens").asInt(0), budgets, limits, sandbox, alerts, anomaly, runaway,
                Redis.parse(n.path("redis")));
    }

    /** One budget as YAML or admin-API JSON writes it. */
    public static Budget budget(JsonNode b, ZoneId defaultZone) {
        String name = b.path("name").asText(null);
        try {
            if (!b.hasNonNull("limit_usd")) throw new IllegalArgumentException("budget " + name + " needs limit_usd");
            List<Integer> thresholds = null;
            if (b.has("thresholds")) {
                thresholds = new ArrayList<>();
                for (JsonNode t : b.get("thresholds")) thresholds.add(t.asInt());
            }
            return new Budget(name, Scope.parse(b.path("scope").asText(null)), Period.parse(b.path("period").asText("monthly")),
                    money(b.get("limit_usd"), "limit_usd"), b.hasNonNull("action") ? Budget.Action.parse(b.get("action").asText()) : null,
                    b.path("downgrade_to").asText(null), thresholds,
                    b.hasNonNull("time_zone") ? zone(b.get("time_zone").asText(), "time_zone") : defaultZone);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("budget " + (name == null ? "" : "'" + name + "'") + ": " + e.getMessage());
        }
    }

    private static BigDecimal money(JsonNode n, String where) {
        try {
            BigDecimal v = new BigDecimal(n.asText());
            if (v.signum() < 0) throw new ConfigException(where + " cannot be negative");
            return v;
        } catch (NumberFormatException e) {
            throw new ConfigException(where + " must be a decimal amount of US dollars (\"12.50\"), not '" + n.asText() + "'");
        }
    }

    private static ZoneId zone(String id, String where) {
        try {
            return ZoneId.of(id);
        } catch (DateTimeException e) {
            throw new ConfigException(where + ": unknown time zone '" + id + "' (use a name such as Europe/Berlin or UTC)");
        }
    }
}
