package dev.tollgate.gateway;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
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
import java.util.regex.Pattern;

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
        try (JsonParser parser = parser(body)) {
            if (parser.nextToken() == null) throw new JsonParseException(parser, "no content to parse");
            JsonNode node = readValue(parser);
            if (parser.nextToken() != null) throw new JsonParseException(parser, "trailing content after the JSON value");
            return node;
        }
    }

    /**
     * A malformed body in words for the client: what is wrong and where, without the parser's advice on its own
     * settings ("enable `JsonReadFeature.…`", "from `StreamReadConstraints.…`"), which the client cannot act on.
     */
    public static String describe(JsonProcessingException e) {
        String what = e.getOriginalMessage() == null ? "unreadable" : e.getOriginalMessage();
        what = PARSER_ADVICE.matcher(what).replaceAll("").strip();
        if (e instanceof StreamConstraintsException) return "the request body is beyond what the gateway accepts: " + what;
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        return "malformed JSON in request body" + where + ": " + what;
    }

    /** A parenthesised remark (one level of nested parentheses allowed) about the parser's features or limits. */
    private static final Pattern PARSER_ADVICE =
            Pattern.compile("\\s*\\((?:[^()]|\\([^()]*\\))*?(?:Feature|Constraints|enable)(?:[^()]|\\([^()]*\\))*\\)");

    /**
     * The value at the parser's current token as a tree. The gateway's documents are small (requests, usage
     * objects), and for them this direct build costs a fraction of a data-binding {@code readTree} call.
     */
    private static JsonNode readValue(JsonParser parser) throws IOException {
        JsonNodeFactory nodes = MAPPER.getNodeFactory();
        return switch (parser.currentToken()) {
            case START_OBJECT -> {
                ObjectNode object = nodes.objectNode();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    parser.nextToken();
                    object.set(name, readValue(parser));
                }
                yield object;
            }
            case START_ARRAY -> {
                ArrayNode array = nodes.arrayNode();
                while (parser.nextToken() != JsonToken.END_ARRAY) array.add(readValue(parser));
                yield array;
            }
            case VALUE_STRING -> nodes.textNode(parser.getText());
            case VALUE_NUMBER_INT -> switch (parser.getNumberType()) {
                case INT -> nodes.numberNode(parser.getIntValue());
                case LONG -> nodes.numberNode(parser.getLongValue());
                default -> nodes.numberNode(parser.getBigIntegerValue());
            };
            case VALUE_NUMBER_FLOAT -> nodes.numberNode(parser.getDecimalValue());
            case VALUE_TRUE -> nodes.booleanNode(true);
            case VALUE_FALSE -> nodes.booleanNode(false);
            case VALUE_NULL -> nodes.nullNode();
            default -> throw new JsonParseException(parser, "unexpected " + parser.currentToken());
        };
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
        try (JsonParser parser = parser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) return out;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                if (names.contains(name)) out.set(name, readValue(parser));
                else parser.skipChildren();
            }
        } catch (IOException e) {
            // what was read before the malformed part is still useful
        }
        return out;
    }

    /** A parser reading the buffer's bytes where they lie. */
    public static JsonParser parser(Buffer body) throws IOException {
        io.netty.buffer.ByteBuf bytes = BufferBytes.region(body);
        return MAPPER.createParser(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes());
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
