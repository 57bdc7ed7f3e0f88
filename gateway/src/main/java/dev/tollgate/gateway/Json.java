package dev.tollgate.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;

/** The gateway's one JSON mapper. Numbers with a fraction are read as BigDecimal so nothing passes through a double. */
public final class Json {

    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));

    private Json() {
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    /** Parses a body; throws {@link IOException} on malformed JSON so callers can answer 400. */
    public static JsonNode parse(Buffer body) throws IOException {
        return MAPPER.readTree(body.getBytes());
    }

    public static JsonNode parse(String text) throws IOException {
        return MAPPER.readTree(text);
    }

    /** Parses text that is expected to be JSON, answering null when it is not. */
    public static JsonNode parseOrNull(String text) {
        try {
            return text == null ? null : MAPPER.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    /** Parses text that is expected to be JSON, answering a missing node when it is not (safe to {@code path()}). */
    public static JsonNode tree(String text) {
        JsonNode node = parseOrNull(text);
        return node == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : node;
    }

    /** A body expected to be JSON, parsed from its bytes; a missing node when it is not JSON. */
    public static JsonNode tree(Buffer body) {
        try {
            JsonNode node = MAPPER.readTree(body.getBytes());
            return node == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : node;
        } catch (IOException e) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
    }

    /**
     * The named top-level fields of a JSON object, read without building the rest: a provider's answer is mostly
     * generated text the gateway only relays, and skipping it is several times cheaper than a full tree. A missing
     * field is absent from the result; a body that is not a JSON object gives an empty one.
     */
    public static ObjectNode fields(Buffer body, Set<String> names) {
        ObjectNode out = object();
        try (JsonParser parser = MAPPER.createParser(body.getBytes())) {
            if (parser.nextToken() != JsonToken.START_OBJECT) return out;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                if (names.contains(name)) out.set(name, parser.readValueAsTree());
                else parser.skipChildren();
            }
        } catch (IOException e) {
            // what was read before the malformed part is still useful
        }
        return out;
    }

    public static Buffer buffer(JsonNode node) {
        try {
            return Buffer.buffer(MAPPER.writeValueAsBytes(node));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String text(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
