package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.route.Route;

import java.math.BigDecimal;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
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

    /** Each thread's digest and the buffer that feeds it: the key of every request is hashed on its event loop. */
    private static final ThreadLocal<Canonical> CANONICAL = ThreadLocal.withInitial(Canonical::new);

    private CacheKey() {
    }

    /** The hash of one request as {@code route} would serve it through {@code api}. */
    public static String hash(Api api, Route route, ObjectNode body) {
        return digested(api, route, body).hex(null);
    }

    /** The length of a hash: SHA-256 in hex. */
    public static final int HASH_LENGTH = 64;

    /** {@code namespace:hash}, the store's key for the request's answer, made as one string; the hash alone for a null namespace. */
    public static String key(String namespace, Api api, Route route, ObjectNode body) {
        return digested(api, route, body).hex(namespace);
    }

    private static Canonical digested(Api api, Route route, ObjectNode body) {
        Canonical out = CANONICAL.get().start();
        out.text(api.ledgerName()).ascii('\n').text(route.name()).ascii('\n')
                .text(route.provider().name()).ascii('\n').text(route.model()).ascii('\n');
        canonicalBody(api, body, out);
        return out;
    }

    /** The normalized body as UTF-8 text; what {@link #hash} digests after the deployment lines. */
    private static void canonicalBody(Api api, ObjectNode body, Canonical out) {
        Map<String, String> defaults = api.format() == dev.tollgate.gateway.WireFormat.ANTHROPIC ? ANTHROPIC_DEFAULTS : OPENAI_DEFAULTS;
        out.ascii('{');
        boolean first = true;
        for (String name : sortedNames(body)) {
            if (IGNORED.contains(name)) continue;
            JsonNode value = body.get(name);
            if (name.equals("stream_options") && !value.path("include_usage").asBoolean(false)) continue;
            String fallback = defaults.get(name);
            if (fallback != null && scalar(value).equals(fallback)) continue;
            if (!first) out.ascii(',');
            first = false;
            out.string(name).ascii(':');
            write(value, out);
        }
        out.ascii('}');
    }

    private static void write(JsonNode node, Canonical out) {
        if (node.isObject()) {
            out.ascii('{');
            String[] names = sortedNames(node);
            for (int i = 0; i < names.length; i++) {
                if (i > 0) out.ascii(',');
                out.string(names[i]).ascii(':');
                write(node.get(names[i]), out);
            }
            out.ascii('}');
        } else if (node.isArray()) {
            out.ascii('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) out.ascii(',');
                write(node.get(i), out);
            }
            out.ascii(']');
        } else if (node.isTextual()) {
            out.string(node.textValue());
        } else {
            out.text(scalar(node));
        }
    }

    private static String[] sortedNames(JsonNode object) {
        String[] names = new String[object.size()];
        int i = 0;
        for (var it = object.fieldNames(); it.hasNext(); ) names[i++] = it.next();
        Arrays.sort(names);
        return names;
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

    /**
     * The canonical text, encoded as UTF-8 straight into a SHA-256 digest through a small buffer: the same bytes as
     * the text's {@code getBytes(UTF_8)} (an unpaired surrogate becomes {@code ?}), without building the text first.
     */
    private static final class Canonical {
        private final MessageDigest digest;
        private final byte[] buffer = new byte[1024];
        private int size;
        private final byte[] sha = new byte[32];
        private final char[] hexKey = new char[512];

        Canonical() {
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Drops whatever a hash that failed half-way left. */
        Canonical start() {
            size = 0;
            digest.reset();
            return this;
        }

        Canonical ascii(char c) {
            if (size == buffer.length) flush();
            buffer[size++] = (byte) c;
            return this;
        }

        /** Text as it is. */
        Canonical text(String s) {
            for (int i = 0; i < s.length(); i++) i = utf8(s, i);
            return this;
        }

        /** A JSON string literal; control characters, quote and backslash escaped. */
        Canonical string(String s) {
            ascii('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') ascii('\\').ascii(c);
                else if (c < 0x20) text(String.format("\\u%04x", (int) c));
                else i = utf8(s, i);
            }
            return ascii('"');
        }

        /** Writes the character at {@code i} (with its low surrogate, if any); returns the index of the last one used. */
        private int utf8(String s, int i) {
            if (buffer.length - size < 4) flush();
            char c = s.charAt(i);
            if (c < 0x80) {
                buffer[size++] = (byte) c;
            } else if (c < 0x800) {
                buffer[size++] = (byte) (0xc0 | c >> 6);
                buffer[size++] = (byte) (0x80 | c & 0x3f);
            } else if (!Character.isSurrogate(c)) {
                buffer[size++] = (byte) (0xe0 | c >> 12);
                buffer[size++] = (byte) (0x80 | c >> 6 & 0x3f);
                buffer[size++] = (byte) (0x80 | c & 0x3f);
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                buffer[size++] = (byte) (0xf0 | cp >> 18);
                buffer[size++] = (byte) (0x80 | cp >> 12 & 0x3f);
                buffer[size++] = (byte) (0x80 | cp >> 6 & 0x3f);
                buffer[size++] = (byte) (0x80 | cp & 0x3f);
            } else {
                buffer[size++] = '?';
            }
            return i;
        }

        private void flush() {
            digest.update(buffer, 0, size);
            size = 0;
        }

        /** The SHA-256 of all written so far as hex, after {@code namespace} and a colon when there is one; starts over. */
        String hex(String namespace) {
            flush();
            try {
                digest.digest(sha, 0, sha.length);
            } catch (DigestException e) {
                throw new IllegalStateException(e);
            }
            int n = 0;
            char[] out = namespace == null || namespace.length() + 1 + 2 * sha.length <= hexKey.length ? hexKey
                    : new char[namespace.length() + 1 + 2 * sha.length];
            if (namespace != null) {
                namespace.getChars(0, namespace.length(), out, 0);
                n = namespace.length();
                out[n++] = ':';
            }
            for (byte b : sha) {
                out[n++] = HEX[(b >> 4) & 0xf];
                out[n++] = HEX[b & 0xf];
            }
            return new String(out, 0, n);
        }

        private static final char[] HEX = "0123456789abcdef".toCharArray();
    }
}
