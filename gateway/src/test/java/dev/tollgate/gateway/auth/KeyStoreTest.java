package dev.tollgate.gateway.auth;

import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.store.StoredKey;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class KeyStoreTest {

    static final Instant T = Instant.parse("2026-11-26T10:00:00Z");

    @Test
    void theAdminApiWinsOverTheConfigByName() {
        KeyStore keys = new KeyStore(List.of(new GatewayConfig.Key(KeyStore.hash("old-secret"), "ci", Map.of("team", "a")),
                new GatewayConfig.Key(KeyStore.hash("other"), "other", Map.of())));
        assertThat(keys.find("old-secret")).contains(new Principal("ci", Map.of("team", "a")));

        keys.apply(List.of(new StoredKey("ci", KeyStore.hash("new-secret"), Map.of("team", "b"), T)), Set.of());
        assertThat(keys.find("old-secret")).isEmpty();
        assertThat(keys.find("new-secret")).contains(new Principal("ci", Map.of("team", "b")));
        assertThat(keys.named("ci").orElseThrow().source()).isEqualTo("admin");

        keys.apply(List.of(), Set.of("ci", "other"));
        assertThat(keys.find("new-secret")).isEmpty();
        assertThat(keys.find("other")).isEmpty();
        assertThat(keys.list()).isEmpty();
        assertThat(keys.open()).as("revoking every key does not open the gateway").isFalse();
    }

    @Test
    void aGatewayWithoutKeysIsOpenUntilTheFirstIsCreated() {
        KeyStore keys = new KeyStore(List.of());
        assertThat(keys.open()).isTrue();
        keys.apply(List.of(new StoredKey("first", KeyStore.hash("s"), Map.of(), T)), Set.of());
        assertThat(keys.open()).isFalse();
        assertThat(keys.find("s").orElseThrow().keyName()).isEqualTo("first");
    }

    @Test
    void secretsAreFreshEachTime() {
        String one = KeyStore.newSecret();
        assertThat(one).startsWith("tg-").hasSize(3 + 43);
        assertThat(KeyStore.newSecret()).isNotEqualTo(one);
    }
}
