package dev.tollgate.gateway.auth;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** Parses the {@code x-tollgate-tags: feature=search,customer=acme} header and merges it under a key's tags. */
public final class Tags {

    public static final String HEADER = "x-tollgate-tags";
    /** Names the decision or workflow run a request serves; stored as tag {@value #DECISION}. */
    public static final String DECISION_HEADER = "x-tollgate-decision";
    public static final String DECISION = "decision";
    /**
     * Tollgate's own tag name, which marks calls it makes itself ({@code tollgate=eval}). A key's tags win over a
     * request's, so a key may not carry it: it would take the mark off (or put it on) all of that key's calls.
     */
    public static final String RESERVED = "tollgate";
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

    /**
     * The tags with {@code decision} set from the {@code x-tollgate-decision} header (1 to 128 printable characters),
     * unless the key's tags already set one.
     */
    public static Map<String, String> withDecision(Map<String, String> tags, String header) {
        if (header == null) return tags;
        String value = header.trim();
        if (value.isEmpty() || value.length() > MAX_VALUE || !value.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
            throw new IllegalArgumentException("bad " + DECISION_HEADER + " header: give 1 to " + MAX_VALUE + " printable characters");
        }
        if (tags.containsKey(DECISION)) return tags;
        Map<String, String> with = new LinkedHashMap<>(tags);
        with.put(DECISION, value);
        return with;
    }

    public static Map<String, String> parse(String header) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (String pair : header.split(",")) {
            if (pair.isBlank()) continue;
            int eq = pair.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("tag '" + pair.trim() + "' is not name=value");
            String name = pair.substring(0, eq).trim().toLowerCase();
            tags.put(name, checked(name, pair.substring(eq + 1).trim()));
        }
        if (tags.size() > MAX_TAGS) throw new IllegalArgumentException("at most " + MAX_TAGS + " tags per request");
        return tags;
    }

    /** Tags given as a map (a key's, through the admin API), held to the same rules as the header's. */
    public static Map<String, String> checked(Map<String, String> tags) {
        if (tags.size() > MAX_TAGS) throw new IllegalArgumentException("at most " + MAX_TAGS + " tags per key");
        tags.forEach(Tags::checked);
        checkNotReserved(tags);
        return tags;
    }

    /** Refuses a key's tags that name {@link #RESERVED}. */
    public static void checkNotReserved(Map<String, String> keyTags) {
        if (keyTags.containsKey(RESERVED)) {
            throw new IllegalArgumentException("the tag name '" + RESERVED + "' is Tollgate's own (it marks the eval's calls,"
                    + " tollgate=eval) and a key's tags would override it: choose another name");
        }
    }

    private static String checked(String name, String value) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("tag name '" + name + "' must be lowercase letters, digits or _");
        }
        if (value.isEmpty() || value.length() > MAX_VALUE) {
            throw new IllegalArgumentException("tag '" + name + "' needs a value of 1 to " + MAX_VALUE + " characters");
        }
        return value;
    }
}
