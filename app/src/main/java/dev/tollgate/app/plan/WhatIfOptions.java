package dev.tollgate.app.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.planner.gpu.BuildVsBuy;
import dev.tollgate.planner.gpu.Efficiency;
import dev.tollgate.planner.gpu.Gpu;
import dev.tollgate.planner.gpu.ModelShape;
import dev.tollgate.planner.gpu.Precision;
import dev.tollgate.planner.gpu.ThroughputModel;
import dev.tollgate.planner.whatif.ReplayPolicy;
import dev.tollgate.planner.whatif.Route;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a what-if replay is asked: the period, the policy and the breakdown tag. {@code plan whatif} builds it from its
 * options; {@code POST /admin/plan/whatif} from its JSON body ({@link #fromJson}), which the CLI sends ({@link #toJson})
 * when a gateway holds the ledger. Field names in JSON are the options' names in snake case.
 *
 * @param routes   route specs as {@code --route} takes them
 * @param cacheTtl a duration ("30m") or null
 * @param selfHost the model moved to own GPUs, or null
 */
record WhatIfOptions(String from, String to, List<String> routes, String cacheTtl, long maxInputTokens, long maxOutputTokens,
                     SelfHost selfHost, String by) {

    static final ObjectMapper JSON = new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final Set<String> FIELDS = Set.of("from", "to", "routes", "cache_ttl", "max_input_tokens", "max_output_tokens", "self_host", "by");
    private static final Set<String> SELF_HOST_FIELDS = Set.of("model", "gpu", "shape", "precision", "utilization", "batch", "hourly_usd");

    /** Self-hosting {@code model} on {@code gpu}s running {@code shape}; {@code hourlyUsd} null for the GPU's built-in on-demand price. */
    record SelfHost(String model, String gpu, String shape, String precision, double utilization, int batch, BigDecimal hourlyUsd) {
        static final String DEFAULT_GPU = "h100";
        static final String DEFAULT_SHAPE = "llama-3-8b";
        static final String DEFAULT_PRECISION = "bf16";
        static final double DEFAULT_UTILIZATION = 0.6;
        static final int DEFAULT_BATCH = 64;

        ReplayPolicy.SelfHost policy() {
            Gpu g = Gpu.named(gpu).orElseThrow(() -> new IllegalArgumentException("unknown GPU '" + gpu + "' (built in: " + Gpu.builtInNames()
                    + "; for another, pick one of similar speed and give your price with --self-host-hourly)"));
            ModelShape s = ModelShape.named(shape).orElseThrow(() -> new IllegalArgumentException("unknown model shape '" + shape + "'"));
            Precision p;
            try {
                p = Precision.valueOf(precision.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("precision must be bf16, fp8 or int4, not '" + precision + "'");
            }
            if (!(utilization > 0 && utilization <= 1)) throw new IllegalArgumentException("self-host utilization must be above 0 and at most 1, not " + utilization);
            if (batch < 1) throw new IllegalArgumentException("self-host batch must be at least 1, not " + batch);
            if (hourlyUsd != null && hourlyUsd.signum() < 0) throw new IllegalArgumentException("self-host hourly price cannot be negative");
            ThroughputModel replica = new ThroughputModel(g, ThroughputModel.replicaGpus(g, s, p, Efficiency.H100_CALIBRATED, 4096, batch), s, p, Efficiency.H100_CALIBRATED);
            return new ReplayPolicy.SelfHost(model, new BuildVsBuy(replica, hourlyUsd != null ? hourlyUsd : g.onDemandHourly(), batch, utilization, 1, 1, BigDecimal.ZERO));
        }
    }

    WhatIfOptions {
        routes = routes == null ? List.of() : List.copyOf(routes);
    }

    /** The policy to replay; throws {@link IllegalArgumentException} with a message a person can act on. */
    ReplayPolicy policy() {
        if (maxInputTokens < 0 || maxOutputTokens < 0) throw new IllegalArgumentException("token caps cannot be negative");
        return new ReplayPolicy(routes.stream().map(Route::parse).toList(), cacheTtl == null ? null : Inputs.duration(cacheTtl),
                maxInputTokens, maxOutputTokens, selfHost == null ? null : selfHost.policy());
    }

    Instant start() {
        return Inputs.instant(from);
    }

    Instant end() {
        return Inputs.instant(to);
    }

    ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        if (from != null) n.put("from", from);
        if (to != null) n.put("to", to);
        ArrayNode r = n.putArray("routes");
        routes.forEach(r::add);
        if (cacheTtl != null) n.put("cache_ttl", cacheTtl);
        n.put("max_input_tokens", maxInputTokens).put("max_output_tokens", maxOutputTokens);
        if (selfHost != null) {
            ObjectNode s = n.putObject("self_host").put("model", selfHost.model()).put("gpu", selfHost.gpu()).put("shape", selfHost.shape())
                    .put("precision", selfHost.precision()).put("utilization", selfHost.utilization()).put("batch", selfHost.batch());
            if (selfHost.hourlyUsd() != null) s.put("hourly_usd", selfHost.hourlyUsd());
        }
        if (by != null) n.put("by", by);
        return n;
    }

    /** Reads a request body; every mistake (an unknown field, a wrong type, a bad value) is an {@link IllegalArgumentException}. */
    static WhatIfOptions fromJson(JsonNode body) {
        if (body == null || !body.isObject()) throw new IllegalArgumentException("the body must be a JSON object");
        known(body, FIELDS, "");
        List<String> routes = new ArrayList<>();
        JsonNode r = body.path("routes");
        if (!r.isMissingNode() && !r.isNull()) {
            if (!r.isArray()) throw new IllegalArgumentException("routes must be an array of route specs such as \"gpt-4o->gpt-4o-mini\"");
            for (JsonNode spec : r) {
                if (!spec.isTextual()) throw new IllegalArgumentException("routes must be an array of route specs such as \"gpt-4o->gpt-4o-mini\"");
                routes.add(spec.asText());
            }
        }
        SelfHost selfHost = null;
        JsonNode s = body.path("self_host");
        if (!s.isMissingNode() && !s.isNull()) {
            if (!s.isObject()) throw new IllegalArgumentException("self_host must be an object with at least \"model\"");
            known(s, SELF_HOST_FIELDS, "self_host.");
            String model = text(s, "model", null, "self_host.");
            if (model == null || model.isBlank()) throw new IllegalArgumentException("self_host.model is required: the model whose traffic moves to your GPUs");
            JsonNode hourly = s.path("hourly_usd");
            if (!hourly.isMissingNode() && !hourly.isNull() && !hourly.isNumber()) throw new IllegalArgumentException("self_host.hourly_usd must be a number");
            selfHost = new SelfHost(model, text(s, "gpu", SelfHost.DEFAULT_GPU, "self_host."), text(s, "shape", SelfHost.DEFAULT_SHAPE, "self_host."),
                    text(s, "precision", SelfHost.DEFAULT_PRECISION, "self_host."), number(s, "utilization", SelfHost.DEFAULT_UTILIZATION, "self_host."),
                    (int) whole(s, "batch", SelfHost.DEFAULT_BATCH, "self_host."), hourly.isNumber() ? hourly.decimalValue() : null);
        }
        WhatIfOptions options = new WhatIfOptions(text(body, "from", null, ""), text(body, "to", null, ""), routes,
                text(body, "cache_ttl", null, ""), whole(body, "max_input_tokens", 0, ""), whole(body, "max_output_tokens", 0, ""),
                selfHost, text(body, "by", null, ""));
        options.start();
        options.end();
        if (options.by() != null && !options.by().matches("[A-Za-z0-9_.-]{1,64}")) throw new IllegalArgumentException("by must be a tag name, not '" + options.by() + "'");
        return options;
    }

    private static void known(JsonNode node, Set<String> fields, String prefix) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!fields.contains(name)) throw new IllegalArgumentException("unknown field '" + prefix + name + "'; known: " + String.join(", ", fields.stream().sorted().toList()));
        }
    }

    private static String text(JsonNode node, String name, String fallback, String prefix) {
        JsonNode v = node.path(name);
        if (v.isMissingNode() || v.isNull()) return fallback;
        if (!v.isTextual()) throw new IllegalArgumentException(prefix + name + " must be a string");
        return v.asText();
    }

    private static long whole(JsonNode node, String name, long fallback, String prefix) {
        JsonNode v = node.path(name);
        if (v.isMissingNode() || v.isNull()) return fallback;
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw new IllegalArgumentException(prefix + name + " must be a whole number");
        if (v.asLong() < 0) throw new IllegalArgumentException(prefix + name + " cannot be negative");
        return v.asLong();
    }

    private static double number(JsonNode node, String name, double fallback, String prefix) {
        JsonNode v = node.path(name);
        if (v.isMissingNode() || v.isNull()) return fallback;
        if (!v.isNumber()) throw new IllegalArgumentException(prefix + name + " must be a number");
        return v.asDouble();
    }
}
