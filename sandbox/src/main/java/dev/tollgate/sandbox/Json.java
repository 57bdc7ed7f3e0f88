package dev.tollgate.sandbox;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** JSON in and out: one shared mapper, and quoting for the stream events that are written as text templates. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a tree always serializes", e);
        }
    }

    /** {@code s} as a JSON string literal, quotes included. */
    static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        JsonStringEncoder.getInstance().quoteAsString(s, out);
        return out.append('"').toString();
    }

    /** The integer value of a field, or {@code otherwise} when it is absent or not a number. */
    static int intOr(JsonNode node, String field, int otherwise) {
        JsonNode value = node.get(field);
        return value != null && value.isNumber() ? value.asInt() : otherwise;
    }
}
