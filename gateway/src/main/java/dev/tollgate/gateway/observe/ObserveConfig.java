package dev.tollgate.gateway.observe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.config.ConfigLoader.ConfigException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code metrics:}, {@code telemetry:} and {@code prompt_log:} sections of the configuration.
 *
 * @param metrics   Prometheus {@code GET /metrics}
 * @param telemetry OpenTelemetry traces over OTLP/HTTP
 * @param promptLog opt-in prompt logging for the prompt audit
 */
public record ObserveConfig(Metrics metrics, Telemetry telemetry, PromptLog promptLog) {

    public static final ObserveConfig DEFAULTS = new ObserveConfig(Metrics.DEFAULTS, Telemetry.NONE, PromptLog.OFF);

    public ObserveConfig {
        metrics = metrics == null ? Metrics.DEFAULTS : metrics;
        telemetry = telemetry == null ? Telemetry.NONE : telemetry;
        promptLog = promptLog == null ? PromptLog.OFF : promptLog;
    }

    /**
     * @param enabled           whether {@code GET /metrics} is served
     * @param requireAdminToken whether scraping needs {@code Authorization: Bearer <admin.token>}
     * @param teamTag           the tag whose value becomes the {@code team} label
     * @param maxLabelValues    distinct values kept per label; later ones are reported as {@code other}
     */
    public record Metrics(boolean enabled, boolean requireAdminToken, String teamTag, int maxLabelValues) {
        public static final Metrics DEFAULTS = new Metrics(true, false, "team", 50);
    }

    /**
     * @param otlpEndpoint the collector's OTLP/HTTP base URL ("http://localhost:4318"); null: no export
     * @param serviceName  {@code service.name} of the exported spans
     * @param headers      sent with every export (an API key of a hosted backend)
     */
    public record Telemetry(String otlpEndpoint, String serviceName, Map<String, String> headers) {
        public static final Telemetry NONE = new Telemetry(null, "tollgate", Map.of());

        public Telemetry {
            headers = headers == null ? Map.of() : Map.copyOf(headers);
            serviceName = serviceName == null ? "tollgate" : serviceName;
        }
    }

    /**
     * @param enabled    whether prompts are recorded at all
     * @param sampleRate share of the matching requests recorded (0..1)
     * @param tags       only requests carrying all of these tags are recorded (empty: every request)
     * @param groupTag   the tag audit findings are grouped by ("feature")
     */
    public record PromptLog(boolean enabled, double sampleRate, Map<String, String> tags, String groupTag) {
        public static final PromptLog OFF = new PromptLog(false, 1.0, Map.of(), "feature");

        public PromptLog {
            tags = tags == null ? Map.of() : Map.copyOf(tags);
            groupTag = groupTag == null ? "feature" : groupTag;
        }

        /** Whether a request with these tags is in scope (before sampling). */
        public boolean covers(Map<String, String> requestTags) {
            if (!enabled) return false;
            for (var e : tags.entrySet()) {
                if (!e.getValue().equals(requestTags.get(e.getKey()))) return false;
            }
            return true;
        }
    }

    /** Reads the three sections from the configuration's root mapping (absent sections take their defaults). */
    public static ObserveConfig parse(JsonNode root) {
        JsonNode m = root.path("metrics");
        Metrics d = Metrics.DEFAULTS;
        int maxValues = m.path("max_label_values").asInt(d.maxLabelValues());
        if (maxValues < 1) throw new ConfigException("metrics.max_label_values must be at least 1, not " + maxValues);
        Metrics metrics = new Metrics(m.path("enabled").asBoolean(d.enabled()),
                m.path("require_admin_token").asBoolean(d.requireAdminToken()),
                m.path("team_tag").asText(d.teamTag()), maxValues);

        JsonNode t = root.path("telemetry");
        String endpoint = t.hasNonNull("otlp_endpoint") ? t.get("otlp_endpoint").asText().trim() : null;
        if (endpoint != null && endpoint.isEmpty()) endpoint = null;
        if (endpoint != null && !endpoint.startsWith("http://") && !endpoint.startsWith("https://")) {
            throw new ConfigException("telemetry.otlp_endpoint must be an http:// or https:// URL, not " + endpoint);
        }
        Telemetry telemetry = new Telemetry(endpoint, t.path("service_name").asText("tollgate"), strings(t.path("headers")));

        JsonNode p = root.path("prompt_log");
        double rate = p.path("sample_rate").asDouble(1.0);
        if (!(rate > 0 && rate <= 1)) throw new ConfigException("prompt_log.sample_rate must be in (0, 1], not " + rate);
        PromptLog promptLog = new PromptLog(p.path("enabled").asBoolean(false), rate, strings(p.path("tags")),
                p.path("group_tag").asText("feature"));
        return new ObserveConfig(metrics, telemetry, promptLog);
    }

    private static Map<String, String> strings(JsonNode n) {
        Map<String, String> out = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }
}
