package dev.tollgate.store;

import java.time.Instant;
import java.util.Map;

/**
 * A virtual key created through the admin API. Only the SHA-256 of its secret is kept: the secret is shown once,
 * when the key is created.
 *
 * @param name      how the key appears in the ledger and reports
 * @param keyHash   lowercase hex SHA-256 of the secret
 * @param tags      attribution tags applied to every request made with the key
 * @param createdAt when it was created
 */
public record StoredKey(String name, String keyHash, Map<String, String> tags, Instant createdAt) {
    public StoredKey {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
    }
}
