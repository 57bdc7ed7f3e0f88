package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.tollgate.gateway.Json;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * How a task's answer is scored. In a task file: {@code "scorer": "exact"}, {@code "normalized"}, {@code "judge"}, or
 * an object such as {@code {"type": "regex", "pattern": "…"}} (without a pattern the reference is the regex),
 * {@code {"type": "json_schema", "schema": {…}}}, {@code {"type": "numeric", "tolerance": 0.01}},
 * {@code {"type": "judge", "rubric": "…"}}. Without a scorer a task with a reference is scored {@code normalized}.
 */
public sealed interface Scorer {

    /** The scorer's name, as the task file writes it. */
    String name();

    static Scorer parse(JsonNode spec, String reference) {
        if (spec == null || spec.isNull()) {
            if (reference == null) throw new IllegalArgumentException("a task without a reference needs a \"scorer\"");
            return new Normalized(reference);
        }
        String type = spec.isTextual() ? spec.asText() : spec.path("type").asText("");
        return switch (type.toLowerCase(Locale.ROOT)) {
            case "exact" -> new Exact(required(reference, type));
            case "normalized", "normalised" -> new Normalized(required(reference, type));
            case "regex" -> new Regex(pattern(spec.path("pattern").isTextual() ? spec.get("pattern").asText() : required(reference, type)));
            case "json_schema" -> JsonSchema.of(spec.get("schema"));
            case "numeric" -> new Numeric(new BigDecimal(required(reference, type).strip()),
                    spec.has("tolerance") ? new BigDecimal(spec.get("tolerance").asText()) : BigDecimal.ZERO);
            case "judge" -> new Judged(spec.path("rubric").asText(null));
            default -> throw new IllegalArgumentException("unknown scorer '" + type
                    + "' (exact, normalized, regex, json_schema, numeric or judge)");
        };
    }

    private static String required(String reference, String scorer) {
        if (reference == null) throw new IllegalArgumentException("the " + scorer + " scorer needs a \"reference\"");
        return reference;
    }

    private static Pattern pattern(String regex) {
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("bad regex: " + e.getDescription());
        }
    }

    /** A scorer that needs nothing but the answer. */
    sealed interface Deterministic extends Scorer {
        Verdict score(String answer);
    }

    /** The answer, stripped of surrounding white space, equals the reference. */
    record Exact(String reference) implements Deterministic {
        public String name() {
            return "exact";
        }

        public Verdict score(String answer) {
            return answer.strip().equals(reference.strip()) ? Verdict.pass("equals the reference")
                    : Verdict.fail("differs from the reference");
        }
    }

    /** Equal after trimming, lower-casing, collapsing white space and dropping trailing punctuation and quotes. */
    record Normalized(String reference) implements Deterministic {
        public String name() {
            return "normalized";
        }

        public Verdict score(String answer) {
            return normalize(answer).equals(normalize(reference)) ? Verdict.pass("matches the reference")
                    : Verdict.fail("does not match the reference");
        }

        static String normalize(String s) {
            String t = s.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
            t = t.replaceAll("^[\"'`]+|[\"'`]+$", "").replaceAll("[.!?;:]+$", "");
            return t.strip();
        }
    }

    /** The pattern is found in the answer. */
    record Regex(Pattern pattern) implements Deterministic {
        public String name() {
            return "regex";
        }

        public Verdict score(String answer) {
            return pattern.matcher(answer).find() ? Verdict.pass("matches /" + pattern + "/")
                    : Verdict.fail("does not match /" + pattern + "/");
        }
    }

    /** The first number in the answer is within the tolerance of the reference. */
    record Numeric(BigDecimal reference, BigDecimal tolerance) implements Deterministic {
        private static final Pattern NUMBER = Pattern.compile("[-+]?(\\d[\\d,]*(\\.\\d+)?|\\.\\d+)([eE][-+]?\\d+)?");

        public String name() {
            return "numeric";
        }

        public Verdict score(String answer) {
            Matcher m = NUMBER.matcher(answer);
            if (!m.find()) return Verdict.fail("no number in the answer");
            BigDecimal value = new BigDecimal(m.group().replace(",", ""));
            BigDecimal off = value.subtract(reference).abs();
            return off.compareTo(tolerance) <= 0 ? Verdict.pass(value.toPlainString() + " is within " + tolerance.toPlainString())
                    : Verdict.fail(value.toPlainString() + " is " + off.toPlainString() + " from " + reference.toPlainString());
        }
    }

    /** The answer is JSON valid against the schema (a fenced ```json block is unwrapped first). */
    record JsonSchema(JsonNode schema, Schema validator) implements Deterministic {
        private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        private static final Pattern FENCE = Pattern.compile("(?s)^```(?:json)?\\s*(.*?)\\s*```$");

        static JsonSchema of(JsonNode schema) {
            if (schema == null || !schema.isObject()) throw new IllegalArgumentException("the json_schema scorer needs a \"schema\" object");
            try {
                return new JsonSchema(schema, SCHEMAS.getSchema(schema.toString(), InputFormat.JSON));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("bad JSON schema: " + e.getMessage());
            }
        }

        public String name() {
            return "json_schema";
        }

        public Verdict score(String answer) {
            String text = answer.strip();
            Matcher fenced = FENCE.matcher(text);
            if (fenced.matches()) text = fenced.group(1);
            JsonNode parsed = Json.parseOrNull(text);
            if (parsed == null || parsed.isMissingNode()) return Verdict.fail("not JSON");
            List<Error> errors = validator.validate(parsed.toString(), InputFormat.JSON);
            return errors.isEmpty() ? Verdict.pass("valid against the schema")
                    : Verdict.fail("invalid: " + errors.get(0).getMessage()
                    + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : ""));
        }
    }

    /** Scored by the judge model, with the task's rubric or the run's. */
    record Judged(String rubric) implements Scorer {
        public String name() {
            return "judge";
        }
    }
}
