package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.route.Route;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * The canonical hash of everything that shapes an answer: the deployment that serves it (route, provider, upstream
 * model), the API, and the request body normalized — object keys sorted, no whitespace, numbers in one form
 * ({@code 1}, {@code 1.0} and {@code 1e0} are equal), fields that do not shape the answer dropped ({@code user},
 * {@code metadata}, …) and a field set to its documented default treated as left out ({@code "stream": false},
 * {@code "n": 1}, {@code "temperature": 1}, …). SHA-256 over that text, as hex. Never the API key.
 *
 * <p>{@code stream} stays in the key: a streamed and a complete answer are different bytes, so they do not share
 * entries. {@code stream_options} counts only when it asks for the usage chunk, which changes the stream.
 */
public final class CacheKey {

    /** Top-level fields that never change what the model answers. */
    static final Set<String> IGNORED = Set.of("user", "metadata", "safety_identifier", "prompt_cache_key",
            "prompt_cache_retention");

    /** Top-level fields whose documented default is the same as leaving them out, per API. */
    private static final Map<String, String> OPENAI_DEFAULTS = Map.of("stream", "false", "n", "1", "temperature", "1",
            "top_p", "1", "presence_penalty", "0", "frequency_penalty", "0", "logprobs", "false",
            "parallel_tool_calls", "true");
    private static final Map<String, String> ANTHROPIC_DEFAULTS = Map.of("stream", "false", "temperature", "1");

    private static final MessageDigest PROTOTYPE;

    static {
        try {
            PROTOTYPE = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private CacheKey() {
    }

    /** The hash of one request as {@code route} would serve it through {@code api}. */
    public static String hash(Api api, Route route, ObjectNode body) {
        StringBuilder text = new StringBuilder(256);
        text.append(api.ledgerName()).append('\n').append(route.name()).append('\n')
                .append(route.provider().name()).append('\n').append(route.model()).append('\n');
        canonicalBody(api, body, text);
        return HexFormat.of().formatHex(digest().digest(text.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /** The normalized body as text; what {@link #hash} digests after the deployment lines. */
    static void canonicalBody(Api api, ObjectNode body, StringBuilder out) {
        Map<String, String> defaults = api.format() == dev.tollgate.gateway.WireFormat.ANTHROPIC ? ANTHROPIC_DEFAULTS : OPENAI_DEFAULTS;
        String[] names = sortedNames(body);
        out.append('{');
        boolean first = true;
        for (String name : names) {
            if (IGNORED.contains(name)) continue;
            JsonNode value = body.get(name);
            if (name.equals("stream_options") && !value.path("include_usage").asBoolean(false)) continue;
            String fallback = defaults.get(name);
            if (fallback != null && scalar(value).equals(fallback)) continue;
            if (!first) out.append(',');
            first = false;
            string(name, out);
            out.append(':');
            write(value, out);
        }
        out.append('}');
    }

    private static void write(JsonNode node, StringBuilder out) {
        if (node.isObject()) {
            out.append('{');
            String[] names = sortedNames(node);
            for (int i = 0; i < names.length; i++) {
                if (i > 0) out.append(',');
                string(names[i], out);
                out.append(':');
                write(node.get(names[i]), out);
            }
            out.append('}');
        } else if (node.isArray()) {
            out.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) out.append(',');
                write(node.get(i), out);
            }
            out.append(']');
        } else if (node.isTextual()) {
            string(node.textValue(), out);
        } else {
            out.append(scalar(node));
        }
    }

    /** Numbers in one plain form; true, false and null as JSON writes them. */
    private static String scalar(JsonNode node) {
        if (node.isNumber()) {
            BigDecimal v = node.decimalValue().stripTrailingZeros();
            return v.signum() == 0 ? "0" : v.toPlainString();
        }
        if (node.isTextual()) return "\"" + node.textValue();
        return node.toString();
    }

    private static String[] sortedNames(JsonNode object) {
        String[] names = new String[object.size()];
        int i = 0;
        for (var it = object.fieldNames(); it.hasNext(); ) names[i++] = it.next();
        Arrays.sort(names);
        return names;
    }

    /** A JSON string literal; control characters, quote and backslash escaped. */
    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        out.append('"');
    }

    private static MessageDigest digest() {
        try {
            return (MessageDigest) PROTOTYPE.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
