package dev.tollgate.gateway.auth;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** Parses the {@code x-tollgate-tags: feature=search,customer=acme} header and merges it under a key's tags. */
public final class Tags {

    public static final String HEADER = "x-tollgate-tags";
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");
    private static final int MAX_TAGS = 32;
    private static final int MAX_VALUE = 128;

    private Tags() {
    }

    /** The request's tags, then the key's on top: a key's tags win so a caller cannot re-attribute its spend. */
    public static Map<String, String> merge(String header, Map<String, String> keyTags) {
        if (header == null || header.isBlank()) return keyTags;
        Map<String, String> merged = new LinkedHashMap<>(parse(header));
        merged.putAll(keyTags);
        return merged;
    }

    public static Map<String, String> parse(String header) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (String pair : header.split(",")) {
            if (pair.isBlank()) continue;
            int eq = pair.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("tag '" + pair.trim() + "' is not name=value");
            String name = pair.substring(0, eq).trim().toLowerCase();
            String value = pair.substring(eq + 1).trim();
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("tag name '" + name + "' must be lowercase letters, digits or _");
            }
            if (value.isEmpty() || value.length() > MAX_VALUE) {
                throw new IllegalArgumentException("tag '" + name + "' needs a value of 1 to " + MAX_VALUE + " characters");
            }
            tags.put(name, value);
        }
        if (tags.size() > MAX_TAGS) throw new IllegalArgumentException("at most " + MAX_TAGS + " tags per request");
        return tags;
    }
}
