package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.ConfigSchema;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code cache.redis} as a person writes it, and the mistakes they are told about. */
class CacheRedisConfigTest {

    private static CacheConfig parse(String cache) throws Exception {
        return new ConfigLoader(Map.<String, String>of()::get).parse("cache:\n" + cache.indent(2)).cache();
    }

    @Test
    void redisIsOptionalAndTakesAUrlOrAMapping() throws Exception {
        assertThat(parse("enabled: true").redis()).isNull();
        assertThat(parse("redis: \"redis://127.0.0.1:6379\"").redis())
                .isEqualTo(new CacheConfig.Redis("redis://127.0.0.1:6379", "tollgate:cache:", Duration.ofMillis(200), Duration.ofSeconds(10)));
        assertThat(parse("redis: {url: \"rediss://r:6380/2\", prefix: \"eu:\", timeout_ms: 50, lease_ms: 3000}").redis())
                .isEqualTo(new CacheConfig.Redis("rediss://r:6380/2", "eu:", Duration.ofMillis(50), Duration.ofSeconds(3)));
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> parse("redis: {url: \"127.0.0.1:6379\"}")).hasMessageContaining("redis://127.0.0.1:6379");
        assertThatThrownBy(() -> parse("redis: {url: \"redis://r\", timeout: 5}")).hasMessageContaining("timeout");
        assertThatThrownBy(() -> parse("redis: {prefix: \"eu:\"}")).hasMessageContaining("url");
    }

    @Test
    void thePasswordInTheUrlIsMasked() {
        JsonNode tree = new ConfigLoader(Map.<String, String>of()::get).read("cache: {redis: {url: \"redis://user:pw@r:6379\"}}", "config");
        String masked = ConfigSchema.get().masked(tree).toString();
        assertThat(masked).doesNotContain("pw").contains("redis://****@r:6379");
    }
}
