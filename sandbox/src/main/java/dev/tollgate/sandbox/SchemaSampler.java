package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A JSON instance made up for a JSON schema, the way a model answers a structured-output request: every listed
 * property of an object (required or not), enum and const values, arrays within minItems/maxItems, strings within
 * their length and in common formats (date, date-time, email, uuid, uri), numbers and integers within their bounds,
 * nested objects and local {@code $ref}s. The values come from a seed, so one prompt always gets the same instance.
 * {@code pattern} is not honoured. {@link #invalid()} makes an instance the schema rejects, for a wrong answer.
 */
final class SchemaSampler {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String[] WORDS = {"cost", "token", "price", "model", "budget", "answer", "value", "plan",
            "cache", "request", "team", "report"};
    /** Below this depth optional properties and array items beyond minItems are left out, so recursion ends. */
    private static final int OPTIONAL_DEPTH = 6;
    private static final int MAX_DEPTH = 24;

    private final JsonNode root;
    private final SplittableRandom random;

    SchemaSampler(JsonNode schema, long seed) {
        this.root = schema == null ? NODES.objectNode() : schema;
        this.random = new SplittableRandom(seed);
    }

    /** An instance valid against the schema. */
    JsonNode valid() {
        return sample(root, 0);
    }

    /**
     * Valid JSON that the schema rejects: the instance without its first required property, or a value of a type the
     * schema does not allow. A schema that accepts anything gets a valid instance: nothing is wrong for it.
     */
    JsonNode invalid() {
        JsonNode schema = resolve(root, 0);
        JsonNode instance = valid();
        JsonNode required = schema.path("required");
        if (instance instanceof ObjectNode object && !required.isEmpty()) {
            object.remove(required.get(0).asText());
            return object;
        }
        JsonNode wrong = wrongType(schema);
        return wrong != null ? wrong : instance;
    }

    private JsonNode sample(JsonNode schema, int depth) {
        schema = resolve(schema, 0);
        if (depth > MAX_DEPTH || !schema.isObject()) return NODES.textNode("sample");
        if (schema.has("const")) return schema.get("const");
        JsonNode values = schema.get("enum");
        if (values != null && values.isArray() && !values.isEmpty()) return values.get(random.nextInt(values.size()));
        for (String union : new String[]{"anyOf", "oneOf", "allOf"}) {
            JsonNode branches = schema.get(union);
            if (branches != null && branches.isArray() && !branches.isEmpty()) return sample(firstNotNull(branches), depth);
        }
        return switch (type(schema)) {
            case "object" -> object(schema, depth);
            case "array" -> array(schema, depth);
            case "integer" -> NODES.numberNode(integer(schema));
            case "number" -> NODES.numberNode(number(schema));
            case "boolean" -> NODES.booleanNode(random.nextBoolean());
            case "null" -> NODES.nullNode();
            default -> NODES.textNode(string(schema));
        };
    }

    private ObjectNode object(JsonNode schema, int depth) {
        ObjectNode object = NODES.objectNode();
        Set<String> required = new HashSet<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        JsonNode properties = schema.path("properties");
        properties.fieldNames().forEachRemaining(name -> {
            if (depth < OPTIONAL_DEPTH || required.contains(name)) {
                object.set(name, sample(properties.get(name), depth + 1));
            }
        });
        for (String name : required) {
            if (!object.has(name)) object.put(name, "sample");  // required but not described
        }
        return object;
    }

    private ArrayNode array(JsonNode schema, int depth) {
        int min = schema.path("minItems").asInt(0);
        int max = schema.path("maxItems").asInt(Math.max(min, 3));
        int size = depth < OPTIONAL_DEPTH ? Math.min(max, Math.max(min, 1 + random.nextInt(3))) : min;
        JsonNode items = schema.path("items");
        ArrayNode array = NODES.arrayNode();
        Set<JsonNode> seen = new HashSet<>();
        boolean unique = schema.path("uniqueItems").asBoolean(false);
        for (int i = 0, tries = 0; array.size() < size && tries < size * 10; tries++, i++) {
            JsonNode item = sample(items, depth + 1);
            if (!unique || seen.add(item)) array.add(item);
        }
        return array;
    }

    private long integer(JsonNode schema) {
        long low = schema.has("minimum") ? (long) Math.ceil(schema.get("minimum").asDouble()) : 0;
        long high = schema.has("maximum") ? (long) Math.floor(schema.get("maximum").asDouble()) : low + 100;
        if (schema.path("exclusiveMinimum").isNumber()) low = Math.max(low, (long) Math.floor(schema.get("exclusiveMinimum").asDouble()) + 1);
        if (schema.path("exclusiveMaximum").isNumber()) high = Math.min(high, (long) Math.ceil(schema.get("exclusiveMaximum").asDouble()) - 1);
        if (!schema.has("maximum") && !schema.path("exclusiveMaximum").isNumber()) high = Math.max(high, low + 100);
        if (high < low) high = low;
        long step = schema.path("multipleOf").canConvertToLong() && schema.path("multipleOf").asLong() > 0
                ? schema.path("multipleOf").asLong() : 1;
        long first = Math.floorDiv(low + step - 1, step);
        long last = Math.floorDiv(high, step);
        return step * (last < first ? first : first + random.nextLong(last - first + 1));
    }

    /** A number with two decimals within the bounds. */
    private double number(JsonNode schema) {
        double low = schema.path("minimum").asDouble(0);
        double high = schema.has("maximum") ? schema.get("maximum").asDouble() : low + 100;
        if (schema.path("exclusiveMinimum").isNumber()) low = Math.max(low, schema.get("exclusiveMinimum").asDouble() + 0.01);
        if (schema.path("exclusiveMaximum").isNumber()) high = Math.min(high, schema.get("exclusiveMaximum").asDouble() - 0.01);
        long lowCents = (long) Math.ceil(low * 100);
        long highCents = Math.max(lowCents, (long) Math.floor(high * 100));
        return (lowCents + random.nextLong(highCents - lowCents + 1)) / 100.0;
    }

    private String string(JsonNode schema) {
        int n = random.nextInt(1000);
        String text = switch (schema.path("format").asText("")) {
            case "date-time" -> "2026-01-%02dT%02d:30:00Z".formatted(1 + n % 28, n % 24);
            case "date" -> "2026-01-%02d".formatted(1 + n % 28);
            case "time" -> "%02d:30:00Z".formatted(n % 24);
            case "email" -> "user" + n + "@example.com";
            case "uuid" -> new java.util.UUID(random.nextLong(), random.nextLong()).toString();
            case "uri", "url" -> "https://example.com/" + n;
            case "hostname" -> "host" + n + ".example.com";
            case "ipv4" -> "192.0.2." + n % 256;
            default -> {
                StringBuilder words = new StringBuilder(WORDS[random.nextInt(WORDS.length)]);
                for (int i = random.nextInt(3); i > 0; i--) words.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
                yield words.toString();
            }
        };
        int min = schema.path("minLength").asInt(0);
        int max = schema.path("maxLength").asInt(Integer.MAX_VALUE);
        StringBuilder padded = new StringBuilder(text);
        while (padded.length() < min) padded.append(" ").append(WORDS[random.nextInt(WORDS.length)]);
        return padded.length() > max ? padded.substring(0, max) : padded.toString();
    }

    /** A value of a type the schema does not allow, or null when it allows every type. */
    private static JsonNode wrongType(JsonNode schema) {
        JsonNode values = schema.get("enum");
        if (values != null && values.isArray()) {
            JsonNode outside = NODES.textNode("none of the options");
            for (JsonNode v : values) if (v.equals(outside)) return null;
            return outside;
        }
        List<String> allowed = types(schema);
        if (allowed.isEmpty()) return null;
        if (!allowed.contains("string")) return NODES.textNode("not the right type");
        if (!allowed.contains("object")) return NODES.objectNode();
        if (!allowed.contains("array")) return NODES.arrayNode();
        if (!allowed.contains("number")) return NODES.numberNode(0.5);
        if (!allowed.contains("boolean")) return NODES.booleanNode(false);
        return allowed.contains("null") ? null : NODES.nullNode();
    }

    private static String type(JsonNode schema) {
        List<String> types = types(schema);
        if (types.isEmpty()) return schema.has("properties") ? "object" : schema.has("items") ? "array" : "string";
        return types.stream().filter(t -> !t.equals("null")).findFirst().orElse("null");
    }

    private static List<String> types(JsonNode schema) {
        JsonNode type = schema.get("type");
        List<String> types = new ArrayList<>();
        if (type == null) return types;
        if (type.isArray()) type.forEach(t -> types.add(t.asText()));
        else types.add(type.asText());
        return types;
    }

    private static JsonNode firstNotNull(JsonNode branches) {
        for (JsonNode branch : branches) if (!"null".equals(branch.path("type").asText())) return branch;
        return branches.get(0);
    }

    /** Follows local references ({@code #}, {@code #/$defs/X}, {@code #/definitions/X}). */
    private JsonNode resolve(JsonNode schema, int hops) {
        JsonNode ref = schema.get("$ref");
        if (ref == null || !ref.isTextual() || !ref.asText().startsWith("#") || hops > MAX_DEPTH) return schema;
        JsonNode target = ref.asText().length() == 1 ? root : root.at(ref.asText().substring(1));
        return target.isMissingNode() ? NODES.objectNode() : resolve(target, hops + 1);
    }
}
