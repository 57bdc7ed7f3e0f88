package dev.tollgate.planner.scenario;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

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
    private static final Set<String> TOP = Set.of("name", "days_per_month", "models", "workloads", "tco", "outcome");
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
        return new Scenario(root.path("name").asText("scenario"), workloads, models,
                decimal(root, "days_per_month", null), tco, outcome);
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
