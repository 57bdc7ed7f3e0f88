package dev.tollgate.planner.scenario;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.tollgate.planner.gpu.Efficiency;
import dev.tollgate.planner.gpu.Gpu;
import dev.tollgate.planner.gpu.ModelShape;
import dev.tollgate.planner.gpu.Precision;
import dev.tollgate.planner.gpu.ThroughputModel;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads a scenario file (YAML; see {@code examples/*.yaml} for the fields). Numbers are read from their text as
 * decimals. Unknown fields are refused with their name, so a typo never silently becomes a default.
 */
public final class ScenarioReader {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final Set<String> TOP = Set.of("name", "days_per_month", "models", "workloads", "tco", "outcome",
            "gpus", "self_hosted", "mixes");
    private static final Set<String> GPU = Set.of("name", "memory_gb", "bandwidth_tb_per_s", "bf16_tflops", "hourly");
    private static final Set<String> SELF_HOSTED = Set.of("name", "gpu", "gpus", "hourly", "utilization", "shape",
            "precision", "batch", "decode_tokens_per_second", "prefill_tokens_per_second", "fixed_monthly");
    private static final Set<String> MIX = Set.of("name", "tiers", "response_cache_hit_rate");
    private static final Set<String> TIER = Set.of("model", "share");
    private static final Set<String> WORKLOAD = Set.of("name", "conversations_per_day", "requests_per_day", "turns",
            "input_tokens", "input_spread", "output_tokens", "output_spread", "system_prompt_tokens", "context_tokens",
            "history_per_turn", "growth_per_month", "cache_hit_rate", "batch");
    private static final Set<String> TCO = Set.of("compute", "infrastructure", "people", "security_compliance_monitoring");
    private static final Set<String> INFRA = Set.of("storage", "vector_database", "network_egress");
    private static final Set<String> PEOPLE = Set.of("engineering_fte", "operations_fte", "monthly_cost_per_fte");
    private static final Set<String> OUTCOME = Set.of("name", "per_conversation", "human_cost");

    private ScenarioReader() {
    }

    public static Scenario read(InputStream in) throws IOException {
        JsonNode root = YAML.readTree(in);
        if (root == null || !root.isObject()) throw new IllegalArgumentException("a scenario file is a YAML mapping");
        return parse(root);
    }

    public static Scenario parse(JsonNode root) {
        known(root, TOP, "scenario");
        List<String> models = new ArrayList<>();
        for (JsonNode m : root.path("models")) models.add(m.asText());
        List<Workload> workloads = new ArrayList<>();
        for (JsonNode w : root.path("workloads")) workloads.add(workload(w));
        Tco tco = root.has("tco") ? tco(root.get("tco")) : null;
        Outcome outcome = null;
        if (root.has("outcome")) {
            JsonNode o = root.get("outcome");
            known(o, OUTCOME, "outcome");
            outcome = new Outcome(o.path("name").asText("outcome"), decimal(o, "per_conversation", BigDecimal.ONE),
                    required(o, "human_cost", "outcome"));
        }
        List<Gpu> gpus = new ArrayList<>();
        for (JsonNode g : root.path("gpus")) gpus.add(gpu(g));
        List<SelfHostedModel> selfHosted = new ArrayList<>();
        for (JsonNode s : root.path("self_hosted")) selfHosted.add(selfHosted(s, gpus));
        List<Mix> mixes = new ArrayList<>();
        for (JsonNode m : root.path("mixes")) mixes.add(mix(m));
        return new Scenario(root.path("name").asText("scenario"), workloads, models,
                decimal(root, "days_per_month", null), tco, outcome, selfHosted, mixes);
    }

    /** The GPUs a scenario file defines under {@code gpus:}, for {@code plan gpu --scenario}. */
    public static List<Gpu> definedGpus(InputStream in) throws IOException {
        JsonNode root = YAML.readTree(in);
        List<Gpu> gpus = new ArrayList<>();
        if (root != null) for (JsonNode g : root.path("gpus")) gpus.add(gpu(g));
        return gpus;
    }

    private static Gpu gpu(JsonNode g) {
        String name = text(g, "name", "gpus entry");
        known(g, GPU, "gpu '" + name + "'");
        String where = "gpu '" + name + "'";
        return Gpu.custom(name, required(g, "memory_gb", where).doubleValue(), required(g, "bandwidth_tb_per_s", where).doubleValue(),
                required(g, "bf16_tflops", where).doubleValue(), required(g, "hourly", where));
    }

    private static Gpu gpuNamed(String name, List<Gpu> defined) {
        return defined.stream().filter(g -> g.name().equalsIgnoreCase(name)).findFirst().or(() -> Gpu.named(name))
                .orElseThrow(() -> new IllegalArgumentException("unknown GPU '" + name + "' (built in: " + Gpu.builtInNames()
                        + "; define others under gpus:)"));
    }

    private static SelfHostedModel selfHosted(JsonNode s, List<Gpu> gpus) {
        String name = text(s, "name", "self_hosted entry");
        String where = "self-hosted '" + name + "'";
        known(s, SELF_HOSTED, where);
        Gpu gpu = gpuNamed(text(s, "gpu", where), gpus);
        BigDecimal hourly = decimal(s, "hourly", gpu.onDemandHourly());
        double utilization = decimal(s, "utilization", new BigDecimal("0.6")).doubleValue();
        BigDecimal decode = decimal(s, "decode_tokens_per_second", null);
        BigDecimal prefill = decimal(s, "prefill_tokens_per_second", null);
        if (decode != null || prefill != null) {
            if (decode == null || prefill == null) throw new IllegalArgumentException(where + ": give both decode_tokens_per_second and prefill_tokens_per_second");
            if (s.has("shape") || s.has("precision") || s.has("batch")) {
                throw new IllegalArgumentException(where + ": give either measured throughput or a shape (with precision and batch), not both");
            }
            return new SelfHostedModel(name, gpu, s.path("gpus").asInt(1), hourly, utilization, null, 0, decode.doubleValue(), prefill.doubleValue(),
                    decimal(s, "fixed_monthly", BigDecimal.ZERO));
        }
        String shapeName = text(s, "shape", where + " (or decode_tokens_per_second and prefill_tokens_per_second)");
        ModelShape shape = ModelShape.named(shapeName).orElseThrow(() -> new IllegalArgumentException(where + ": unknown shape '" + shapeName
                + "' (" + String.join(", ", ModelShape.BUILT_IN.stream().map(ModelShape::name).toList()) + ")"));
        Precision precision;
        try {
            precision = Precision.valueOf(s.path("precision").asText("bf16").toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": precision is bf16, fp8 or int4, not '" + s.path("precision").asText() + "'");
        }
        int n = s.has("gpus") ? s.get("gpus").asInt() : ThroughputModel.minimumGpus(gpu, shape, precision, 0);
        ThroughputModel replica = new ThroughputModel(gpu, n, shape, precision, Efficiency.H100_CALIBRATED);
        int batch = s.path("batch").asInt(32);
        return new SelfHostedModel(name, gpu, n, hourly, utilization, replica, batch, 0, 0, decimal(s, "fixed_monthly", BigDecimal.ZERO));
    }

    private static Mix mix(JsonNode m) {
        String name = text(m, "name", "mixes entry");
        String where = "mix '" + name + "'";
        known(m, MIX, where);
        List<Mix.Tier> tiers = new ArrayList<>();
        for (JsonNode t : m.path("tiers")) {
            known(t, TIER, where + " tier");
            tiers.add(new Mix.Tier(text(t, "model", where + " tier"), required(t, "share", where + " tier")));
        }
        return new Mix(name, tiers, decimal(m, "response_cache_hit_rate", BigDecimal.ZERO));
    }

    private static String text(JsonNode n, String field, String where) {
        if (!n.hasNonNull(field) || n.get(field).asText().isBlank()) throw new IllegalArgumentException(where + " needs '" + field + "'");
        return n.get(field).asText();
    }

    private static Workload workload(JsonNode w) {
        String name = w.path("name").asText("workload");
        known(w, WORKLOAD, "workload '" + name + "'");
        BigDecimal perDay = w.has("conversations_per_day") ? decimal(w, "conversations_per_day", null)
                : required(w, "requests_per_day", "workload '" + name + "' (or conversations_per_day)");
        long input = w.path("input_tokens").asLong(0);
        long output = w.path("output_tokens").asLong(0);
        return new Workload(name, perDay, w.path("turns").asInt(1), input, w.path("input_spread").asDouble(0),
                output, w.path("output_spread").asDouble(0), w.path("system_prompt_tokens").asLong(0),
                w.path("context_tokens").asLong(0), w.path("history_per_turn").asLong(input + output),
                decimal(w, "growth_per_month", BigDecimal.ZERO), decimal(w, "cache_hit_rate", BigDecimal.ZERO),
                w.path("batch").asBoolean(false));
    }

    private static Tco tco(JsonNode t) {
        known(t, TCO, "tco");
        JsonNode infra = t.path("infrastructure");
        JsonNode people = t.path("people");
        if (infra.isObject()) known(infra, INFRA, "tco.infrastructure");
        if (people.isObject()) known(people, PEOPLE, "tco.people");
        return new Tco(decimal(t, "compute", BigDecimal.ZERO), decimal(infra, "storage", BigDecimal.ZERO),
                decimal(infra, "vector_database", BigDecimal.ZERO), decimal(infra, "network_egress", BigDecimal.ZERO),
                decimal(people, "engineering_fte", BigDecimal.ZERO), decimal(people, "operations_fte", BigDecimal.ZERO),
                decimal(people, "monthly_cost_per_fte", BigDecimal.ZERO),
                decimal(t, "security_compliance_monitoring", BigDecimal.ZERO));
    }

    private static void known(JsonNode n, Set<String> fields, String where) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!fields.contains(f)) throw new IllegalArgumentException(where + ": unknown field '" + f + "' (known: " + String.join(", ", fields.stream().sorted().toList()) + ")");
        }
    }

    private static BigDecimal required(JsonNode n, String field, String where) {
        if (!n.hasNonNull(field)) throw new IllegalArgumentException(where + " needs '" + field + "'");
        return decimal(n, field, null);
    }

    private static BigDecimal decimal(JsonNode n, String field, BigDecimal fallback) {
        if (!n.hasNonNull(field)) return fallback;
        try {
            return new BigDecimal(n.get(field).asText());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + field + "' is not a number: " + n.get(field).asText());
        }
    }
}
