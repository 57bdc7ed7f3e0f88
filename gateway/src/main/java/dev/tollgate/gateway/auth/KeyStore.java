package dev.tollgate.gateway.auth;

import dev.tollgate.gateway.config.GatewayConfig;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Virtual keys, held only as SHA-256 hashes: a dump of the gateway's memory or config store does not reveal a
 * usable key. When no key is configured the gateway is open and every caller is {@link Principal#ANONYMOUS}.
 */
public final class KeyStore {

    private final Map<String, Principal> byHash;

    public KeyStore(List<GatewayConfig.Key> keys) {
        Map<String, Principal> map = new HashMap<>();
        for (GatewayConfig.Key k : keys) map.put(k.keyHash(), new Principal(k.name(), k.tags()));
        this.byHash = Map.copyOf(map);
    }

    public boolean open() {
        return byHash.isEmpty();
    }

    public Optional<Principal> find(String key) {
        if (key == null || key.isEmpty()) return Optional.empty();
        return Optional.ofNullable(byHash.get(hash(key)));
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
