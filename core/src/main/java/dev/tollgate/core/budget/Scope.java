package dev.tollgate.core.budget;

import java.util.Map;
import java.util.Objects;

/**
 * Whose spend a budget or rate limit counts: one virtual key ({@code key:search-prod}), one tag value
 * ({@code team:search}, {@code customer:acme}, …) or the whole organisation ({@code org}).
 *
 * @param dimension "key", "org", or a tag name
 * @param value     the key name or tag value; null for the organisation
 */
public record Scope(String dimension, String value) {

    public static final Scope ORG = new Scope("org", null);

    public Scope {
        Objects.requireNonNull(dimension, "dimension");
        if (!dimension.equals("org") && (value == null || value.isEmpty())) {
            throw new IllegalArgumentException("scope '" + dimension + "' needs a value, as in " + dimension + ":NAME");
        }
    }

    /** {@code org}, {@code key:NAME} or {@code TAG:VALUE}. */
    public static Scope parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("a scope is required: org, key:NAME or TAG:VALUE");
        String t = text.trim();
        if (t.equals("org")) return ORG;
        int colon = t.indexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new IllegalArgumentException("scope must be org, key:NAME or TAG:VALUE (team:search), not '" + text + "'");
        }
        String dimension = t.substring(0, colon);
        if (!dimension.matches("[A-Za-z0-9_.-]{1,64}")) throw new IllegalArgumentException("bad scope dimension: " + dimension);
        return new Scope(dimension, t.substring(colon + 1));
    }

    public boolean isOrg() {
        return dimension.equals("org");
    }

    public boolean isKey() {
        return dimension.equals("key");
    }

    /** Whether a request by this key with these tags counts against the scope. */
    public boolean matches(String keyName, Map<String, String> tags) {
        if (isOrg()) return true;
        if (isKey()) return value.equals(keyName);
        return value.equals(tags.get(dimension));
    }

    /** The ledger filter (dimension → value) selecting this scope's rows; empty for the organisation. */
    public Map<String, String> ledgerFilter() {
        return isOrg() ? Map.of() : Map.of(dimension, value);
    }

    @Override
    public String toString() {
        return isOrg() ? "org" : dimension + ":" + value;
    }
}
