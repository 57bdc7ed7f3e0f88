package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/** The tool call a simulated model makes: which tool, and arguments that satisfy its JSON schema's required part. */
final class ToolCalls {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ToolCalls() {
    }

    /** A chosen tool and the arguments it is called with. */
    record Chosen(String name, ObjectNode arguments) {
        String argumentsJson() {
            return Json.write(arguments);
        }
    }

    /**
     * The tool called, or null to answer with text. {@code named} is the name {@code tool_choice} forces, or null;
     * {@code nameOf} and {@code schemaOf} read a tool definition in the API's own shape.
     */
    static Chosen choose(JsonNode tools, String named, java.util.function.Function<JsonNode, String> nameOf,
                         java.util.function.Function<JsonNode, JsonNode> schemaOf) {
        if (tools == null || !tools.isArray()) return null;
        for (JsonNode tool : tools) {
            String name = nameOf.apply(tool);
            if (name == null || name.isEmpty()) continue;  // built-in tools (web search, …) have no schema to fill
            if (named == null || named.equals(name)) return new Chosen(name, sampleObject(schemaOf.apply(tool)));
        }
        return null;
    }

    /** An object with each required property of {@code schema} set to a sample value of its type. */
    static ObjectNode sampleObject(JsonNode schema) {
        ObjectNode object = NODES.objectNode();
        if (schema == null) return object;
        JsonNode properties = schema.path("properties");
        for (JsonNode required : schema.path("required")) {
            String property = required.asText();
            object.set(property, sample(properties.path(property), property));
        }
        return object;
    }

    private static JsonNode sample(JsonNode schema, String property) {
        JsonNode values = schema.get("enum");
        if (values != null && values.isArray() && !values.isEmpty()) return values.get(0);
        if (schema.has("const")) return schema.get("const");
        return switch (type(schema)) {
            case "integer" -> NODES.numberNode(1);
            case "number" -> NODES.numberNode(1.5);
            case "boolean" -> NODES.booleanNode(true);
            case "object" -> sampleObject(schema);
            case "array" -> {
                ArrayNode array = NODES.arrayNode();
                array.add(sample(schema.path("items"), property));
                yield array;
            }
            case "null" -> NODES.nullNode();
            default -> NODES.textNode("sample " + property);
        };
    }

    /** The schema's type; for a union such as {@code ["string","null"]}, its first non-null member. */
    private static String type(JsonNode schema) {
        JsonNode type = schema.get("type");
        if (type == null) return schema.has("properties") ? "object" : "string";
        if (!type.isArray()) return type.asText();
        List<String> types = new ArrayList<>();
        type.forEach(t -> types.add(t.asText()));
        return types.stream().filter(t -> !t.equals("null")).findFirst().orElse("null");
    }

    /** Splits arguments JSON into the small fragments a stream delivers them in. */
    static List<String> fragments(String json) {
        List<String> fragments = new ArrayList<>(json.length() / 6 + 1);
        for (int i = 0; i < json.length(); i += 6) fragments.add(json.substring(i, Math.min(json.length(), i + 6)));
        return fragments;
    }
}
