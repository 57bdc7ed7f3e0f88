package dev.tollgate.gateway.auth;

import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.store.BudgetStore;
import dev.tollgate.store.StoredKey;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Virtual keys, held only as SHA-256 hashes: a dump of the gateway's memory or config store does not reveal a
 * usable key. Keys come from the config and from the admin API (kept in the {@link BudgetStore}); where both name the
 * same key, the admin API's wins, as for budgets: a key created through it replaces the config's of that name, and a
 * revoked config key stays revoked. When no key was ever defined either way the gateway is open and every caller is
 * {@link Principal#ANONYMOUS}; revoking the last key does not open it.
 *
 * <p>The request path reads one immutable snapshot through a volatile field; a change builds a new one and swaps it.
 */
public final class KeyStore {

    /** A key as the admin API lists it: never its secret or its hash. */
    public record Listed(String name, Map<String, String> tags, String source, Instant createdAt) {
    }

    private record View(Map<String, Principal> byHash, List<Listed> listed, boolean open) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<GatewayConfig.Key> configured;
    private volatile View view;

    public KeyStore(List<GatewayConfig.Key> keys) {
        this.configured = List.copyOf(keys);
        apply(List.of(), Set.of());
    }

    /** Replaces the admin API's keys with {@code stored} and {@code revoked} (names, config keys included). */
    public synchronized void apply(List<StoredKey> stored, Set<String> revoked) {
        Map<String, Principal> byHash = new HashMap<>();
        List<Listed> listed = new ArrayList<>();
        Set<String> overridden = new java.util.HashSet<>(revoked);
        stored.forEach(k -> overridden.add(k.name()));
        for (GatewayConfig.Key k : configured) {
            if (overridden.contains(k.name())) continue;
            byHash.put(k.keyHash(), new Principal(k.name(), k.tags()));
            listed.add(new Listed(k.name(), k.tags(), "config", null));
        }
        for (StoredKey k : stored) {
            byHash.put(k.keyHash(), new Principal(k.name(), k.tags()));
            listed.add(new Listed(k.name(), k.tags(), "admin", k.createdAt()));
        }
        listed.sort(Comparator.comparing(Listed::name));
        view = new View(Map.copyOf(byHash), List.copyOf(listed), configured.isEmpty() && stored.isEmpty() && revoked.isEmpty());
    }

    /**
     * Reads the admin API's keys from {@code store} again. Blocks (store). Reading and swapping are one step, so a
     * reload that read earlier cannot swap in a snapshot older than one that read later.
     */
    public synchronized void reload(BudgetStore store) {
        apply(store.keys(), store.revokedKeys());
    }

    public boolean open() {
        return view.open();
    }

    public Optional<Principal> find(String key) {
        if (key == null || key.isEmpty()) return Optional.empty();
        return Optional.ofNullable(view.byHash().get(hash(key)));
    }

    /** The keys in force, by name. */
    public List<Listed> list() {
        return view.listed();
    }

    public Optional<Listed> named(String name) {
        return view.listed().stream().filter(k -> k.name().equals(name)).findFirst();
    }

    /** A new secret: 32 random bytes, URL-safe, with a prefix that says what it is when it turns up in a log. */
    public static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "tg-" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The key as OpenAI clients ({@code Authorization: Bearer}), Anthropic clients and Azure clients send it. */
    public static String presentedKey(io.vertx.core.MultiMap headers) {
        String auth = headers.get("authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) return auth.substring(7).trim();
        String key = headers.get("x-api-key");
        if (key == null) key = headers.get("api-key");
        return key == null ? null : key.trim();
    }

    /** One digest per thread: looking a provider up for every request costs more than the hash itself. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    });

    public static String hash(String key) {
        return HexFormat.of().formatHex(SHA_256.get().digest(key.getBytes(StandardCharsets.UTF_8)));
    }
}
