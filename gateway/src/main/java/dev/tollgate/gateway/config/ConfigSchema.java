package dev.tollgate.gateway.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gateway configuration's JSON Schema ({@code config.schema.json} beside this class): the one list of keys, their
 * types, ranges, defaults and which are secrets. Validation runs against the YAML tree; errors are mapped back to the
 * file's line and column, and an unknown key gets the nearest known one as a suggestion.
 */
public final class ConfigSchema {

    static final String RESOURCE = "config.schema.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MASK = "****";

    private final JsonNode tree;
    private final Schema schema;

    private ConfigSchema() {
        try (InputStream in = ConfigSchema.class.getResourceAsStream(RESOURCE)) {
            tree = JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(tree.toString());
    }

    private static final class Holder {
        static final ConfigSchema INSTANCE = new ConfigSchema();
    }

    public static ConfigSchema get() {
        return Holder.INSTANCE;
    }

    /** The schema as JSON, for editors and {@code tollgate config schema}. */
    public String text() {
        return tree.toPrettyString();
    }

    /**
     * What is wrong with {@code config} (already parsed from {@code yaml}), one line each, in file order:
     * {@code SOURCE:LINE:COLUMN: what}. Empty when the configuration is valid.
     */
    List<String> problems(JsonNode config, String yaml, String source) {
        Map<String, JsonLocation> where = locations(yaml);
        record Problem(JsonLocation at, String text) {
        }
        List<Problem> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Error e : schema.validate(config.toString(), InputFormat.JSON)) {
            String pointer = pointer(e.getInstanceLocation());
            String text;
            String at = pointer;
            if (e.getKeyword().equals("additionalProperties") || e.getKeyword().equals("unevaluatedProperties")) {
                JsonNode parentSchema = schemaAt(e.getSchemaLocation().getFragment());
                // a key the schema knows is "unevaluated" only because another value of the object (under a $ref)
                // failed: that failure is reported on its own
                if (keys(parentSchema).contains(e.getProperty())) continue;
                at = pointer + "/" + escape(e.getProperty());
                text = unknownKey(e.getProperty(), pointer, parentSchema);
            } else if (e.getKeyword().equals("required")) {
                text = (pointer.isEmpty() ? "" : dotted(pointer) + " ") + "needs '" + e.getProperty() + "'";
            } else {
                text = dotted(pointer) + " " + wrongValue(e, config.at(pointer));
            }
            // one message per place: a value of the wrong type fails both its type and its pattern
            if (seen.add(at)) out.add(new Problem(locate(where, at), text));
        }
        return out.stream().sorted(Comparator.comparingInt((Problem p) -> p.at() == null ? 0 : p.at().getLineNr())
                        .thenComparingInt(p -> p.at() == null ? 0 : p.at().getColumnNr()))
                .map(p -> source + (p.at() == null ? "" : ":" + p.at().getLineNr() + ":" + p.at().getColumnNr()) + ": " + p.text())
                .toList();
    }

    private String unknownKey(String key, String parent, JsonNode parentSchema) {
        Set<String> known = new LinkedHashSet<>(keys(parentSchema));
        String in = parent.isEmpty() ? "at the top level" : "in " + dotted(parent);
        String near = nearest(key, known);
        return "unknown key '" + key + "' " + in + (near == null ? "" : "; did you mean '" + near + "'?")
                + " (known: " + String.join(", ", known) + ")";
    }

    /** "must be a whole number above 0, not "lots"": worded from the $def's title, else from the choices of an enum. */
    private String wrongValue(Error e, JsonNode value) {
        JsonNode failing = schemaAt(e.getSchemaLocation().getFragment());
        String shown = value.isMissingNode() ? "" : ", not " + value;
        if (failing.hasNonNull("title")) return "must be " + failing.get("title").asText() + shown;
        if (failing.has("enum")) {
            List<String> values = new ArrayList<>();
            failing.get("enum").forEach(v -> values.add(v.asText()));
            return "must be one of " + String.join(", ", values) + shown;
        }
        return e.getMessage() + shown;
    }

    /** The schema that holds the failing keyword: for "/$defs/count/pattern", $defs/count and the node it holds. */
    private JsonNode schemaAt(NodePath keywordPath) {
        return tree.at(JsonPointer.compile(pointer(keywordPath)).head());
    }

    /** Property names a schema knows, its $ref's included (a price entry shares a price's fields). */
    private List<String> keys(JsonNode s) {
        List<String> out = new ArrayList<>();
        s.path("properties").properties().forEach(p -> out.add(p.getKey()));
        if (s.has("$ref")) out.addAll(keys(resolve(s)));
        return out;
    }

    private JsonNode resolve(JsonNode s) {
        String ref = s.path("$ref").asText("");
        return ref.startsWith("#") ? tree.at(ref.substring(1)) : s;
    }

    /** The known key a typo most likely meant: at most a third of its letters off (1 to 3 edits); null when none is. */
    static String nearest(String typo, Set<String> known) {
        String best = null;
        int bestDistance = Math.min(3, Math.max(1, typo.length() / 3)) + 1;
        for (String k : known) {
            int d = distance(typo.toLowerCase(), k.toLowerCase());
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Optimal string alignment distance: Levenshtein with swapped neighbours as one edit ("modle" → "model"). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /**
     * The configuration as the gateway runs it: every key with a default that the file leaves out filled in, and every
     * mapping in the schema's order.
     */
    public JsonNode withDefaults(JsonNode config) {
        return fill(config.isObject() ? config : JSON.createObjectNode(), tree);
    }

    private JsonNode fill(JsonNode node, JsonNode schemaNode) {
        JsonNode s = resolve(schemaNode);
        if (node.isObject()) {
            ObjectNode out = JSON.createObjectNode();
            for (var p : s.path("properties").properties()) {
                JsonNode v = node.get(p.getKey());
                JsonNode ps = resolve(p.getValue());
                if (v != null && !v.isNull()) {
                    out.set(p.getKey(), fill(v, p.getValue()));
                } else if (p.getValue().has("default")) {
                    out.set(p.getKey(), p.getValue().get("default"));
                } else if (ps.has("properties") && !ps.has("required")) {
                    // a section left out is a section with its defaults
                    JsonNode section = fill(JSON.createObjectNode(), ps);
                    if (!section.isEmpty()) out.set(p.getKey(), section);
                } else if (v != null) {
                    out.set(p.getKey(), v);
                }
            }
            // names the schema does not list: providers, tags, headers
            for (var e : node.properties()) {
                if (!out.has(e.getKey())) out.set(e.getKey(), fill(e.getValue(), s.path("additionalProperties")));
            }
            return out;
        }
        if (node.isArray()) {
            var out = JSON.createArrayNode();
            node.forEach(item -> out.add(fill(item, s.path("items"))));
            return out;
        }
        return node;
    }

    /** A copy with every secret (writeOnly in the schema) and every password in a URL replaced by "****". */
    public JsonNode masked(JsonNode config) {
        return mask(config, tree);
    }

    private JsonNode mask(JsonNode node, JsonNode schemaNode) {
        JsonNode s = resolve(schemaNode);
        boolean secret = schemaNode.path("writeOnly").asBoolean(false) || s.path("writeOnly").asBoolean(false);
        if (secret && !node.isNull()) return TextNode.valueOf(MASK);
        if (node.isTextual()) return TextNode.valueOf(node.asText().replaceFirst("^([a-z]+://)[^@/]*@", "$1" + MASK + "@"));
        if (node.isObject()) {
            ObjectNode copy = JSON.createObjectNode();
            for (var e : node.properties()) {
                JsonNode ps = s.path("properties").has(e.getKey()) ? s.path("properties").get(e.getKey()) : s.path("additionalProperties");
                copy.set(e.getKey(), mask(e.getValue(), ps));
            }
            return copy;
        }
        if (node.isArray()) {
            var copy = JSON.createArrayNode();
            node.forEach(item -> copy.add(mask(item, s.path("items"))));
            return copy;
        }
        return node;
    }

    /** Where each key (or list item) of the YAML text starts, by JSON pointer. */
    private static Map<String, JsonLocation> locations(String yaml) {
        Map<String, JsonLocation> out = new HashMap<>();
        try (JsonParser p = new YAMLFactory().createParser(yaml)) {
            if (p.nextToken() != null) walk(p, "", out);
        } catch (IOException e) {
            // the text was parsed before; without locations the messages still name the key
        }
        return out;
    }

    private static void walk(JsonParser p, String path, Map<String, JsonLocation> out) throws IOException {
        out.putIfAbsent(path, p.currentTokenLocation());
        if (p.currentToken() == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String child = path + "/" + escape(p.currentName());
                out.put(child, p.currentTokenLocation());
                p.nextToken();
                walk(p, child, out);
            }
        } else if (p.currentToken() == JsonToken.START_ARRAY) {
            for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) walk(p, path + "/" + i, out);
        }
    }

    /** The nearest place known: a key's own, else its parent's. */
    private static JsonLocation locate(Map<String, JsonLocation> where, String pointer) {
        for (String p = pointer; ; p = p.substring(0, p.lastIndexOf('/'))) {
            if (where.containsKey(p)) return where.get(p);
            if (p.isEmpty()) return null;
        }
    }

    private static String pointer(NodePath path) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < path.getNameCount(); i++) out.append('/').append(escape(String.valueOf(path.getElement(i))));
        return out.toString();
    }

    private static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    /** "/spend_controls/budgets/0/limit_usd" as a person reads it: "spend_controls.budgets[0].limit_usd". */
    static String dotted(String pointer) {
        if (pointer.isEmpty()) return "the configuration";
        StringBuilder out = new StringBuilder();
        for (String part : pointer.substring(1).split("/")) {
            part = part.replace("~1", "/").replace("~0", "~");
            if (part.chars().allMatch(Character::isDigit)) out.append('[').append(part).append(']');
            else out.append(out.isEmpty() ? "" : ".").append(part);
        }
        return out.toString();
    }
}
