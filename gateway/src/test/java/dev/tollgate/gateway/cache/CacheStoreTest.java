package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.config.ConfigLoader.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CacheStoreTest {

    @TempDir
    Path data;

    static CachedReply reply(String key, int bodyBytes) {
        return CachedReply.of(List.of(
                new ReplyEvent.Usage(new Usage(10, 0, 0, 0, 5, 0), "m", false, new BigDecimal("0.000004"), "m@1"),
                new ReplyEvent.Start(200, "application/json", null),
                new ReplyEvent.Data(new byte[bodyBytes]),
                new ReplyEvent.End()), key);
    }

    @Test
    void theCachesBoundsMustFitInHalfOfTheHeap() {
        long heap = 192L << 20; // what serve starts with
        CacheConfig.DEFAULTS.checkFitsHeap(heap);
        CacheConfig on = CacheConfig.parse(yaml("{enabled: true}"));
        on.checkFitsHeap(heap); // 32 + 16 MiB of 192
        assertThatThrownBy(() -> CacheConfig.parse(yaml("{enabled: true, max_bytes: 268435456}")).checkFitsHeap(heap))
                .isInstanceOf(ConfigException.class)
                .hasMessage("cache: max_bytes (256 MiB) and idempotency_max_bytes (16 MiB) may hold 272 MiB, more than half"
                        + " of the gateway's 192 MiB heap; lower them or give the heap more (TOLLGATE_HEAP_MAX)");
        // answers count only where the cache is on: off, only the idempotency window's bound is held
        CacheConfig.parse(yaml("{enabled: false, max_bytes: 268435456}")).checkFitsHeap(heap);
        assertThatThrownBy(() -> CacheConfig.parse(yaml("{idempotency_max_bytes: 134217728}")).checkFitsHeap(heap))
                .hasMessageContaining("may hold 128 MiB");
        CacheConfig.parse(yaml("{idempotency_window: 0, idempotency_max_bytes: 134217728}")).checkFitsHeap(heap);
    }

    @Test
    void anEntryWeighsItsBytesPlusBookkeeping() {
        CachedReply r = reply("k", 1000);
        // 160 entry + 2 per key char + 4 events × 48 + the 1000 body bytes
        assertThat(r.weight()).isEqualTo(160 + 2 + 4 * 48 + 1000);
        assertThat(r.cost()).isEqualByComparingTo("0.000004");
    }

    @Test
    void storedBytesStayWithinTheBoundWhateverIsInserted() {
        long max = 64 * 1024;
        CacheStore store = new CacheStore(new CacheConfig(true, max, Duration.ofHours(1), null, true, false, true,
                Duration.ofSeconds(60), 1 << 20, List.of()));
        for (int i = 0; i < 10_000; i++) store.store("k" + i, reply("k" + i, 1000), Duration.ofHours(1));
        // 10,000 entries of ~1.4 KB (about 14 MB) went in; at most 64 KiB stay
        assertThat(store.storedBytes()).isLessThanOrEqualTo(max).isGreaterThan(max / 2);
        assertThat(store.storedAnswers()).isBetween(20L, 48L);
        // an answer larger than the whole cache is not stored at all
        store.store("huge", reply("huge", (int) max), Duration.ofHours(1));
        assertThat(store.lookup("huge")).isNull();
    }

    @Test
    void theConfigSectionParses() throws Exception {
        var yaml = new ObjectMapper(new YAMLFactory()).readTree("""
                enabled: true
                max_bytes: 1048576
                ttl: 7d
                shared_namespace: everyone
                coalesce: false
                on_leader_error: retry
                cache_unseeded_sampling: false
                idempotency_window: 90s
                near_duplicate: {enabled: true, embeddings_model: embed-small, threshold: 0.85}
                policies:
                  - {model: gpt-4o, ttl: 10m, similarity_threshold: 0.9}
                  - {key: ads-dev, enabled: false}
                  - {tag: team=search, shared_namespace: search}
                """);
        CacheConfig c = CacheConfig.parse(yaml);
        assertThat(c.enabled()).isTrue();
        assertThat(c.maxBytes()).isEqualTo(1 << 20);
        assertThat(c.ttl()).isEqualTo(Duration.ofDays(7));
        assertThat(c.sharedNamespace()).isEqualTo("everyone");
        assertThat(c.coalesce()).isFalse();
        assertThat(c.retryAfterLeaderError()).isTrue();
        assertThat(c.cacheUnseededSampling()).isFalse();
        assertThat(c.idempotencyWindow()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.policies()).containsExactly(
                new CacheConfig.Policy("gpt-4o", null, null, null, null, Duration.ofMinutes(10), null, 0.9),
                new CacheConfig.Policy(null, "ads-dev", null, null, false, null, null),
                new CacheConfig.Policy(null, null, "team", "search", null, null, "search"));
        assertThat(c.nearDuplicate()).isEqualTo(new CacheConfig.NearDuplicate(true, "embed-small", 0.85, 10_000));
        assertThat(CacheConfig.parse(null)).isEqualTo(CacheConfig.DEFAULTS);
        assertThat(CacheConfig.DEFAULTS.nearDuplicate().enabled()).isFalse();
        assertThat(CacheConfig.DEFAULTS.enabled()).isFalse();
        assertThat(CacheConfig.DEFAULTS.idempotencyWindow()).isEqualTo(Duration.ofSeconds(60));

        var bad = new ObjectMapper(new YAMLFactory()).readTree("{ttl: soon}");
        assertThatThrownBy(() -> CacheConfig.parse(bad)).isInstanceOf(ConfigException.class).hasMessageContaining("cache.ttl");
        var scopeless = new ObjectMapper(new YAMLFactory()).readTree("{policies: [{ttl: 1h}]}");
        assertThatThrownBy(() -> CacheConfig.parse(scopeless)).isInstanceOf(ConfigException.class).hasMessageContaining("scope");
    }

    @Test
    void memoryStaysWithinTheBoundUnderUniqueRequestsThroughTheGateway() throws Exception {
        long max = 32 * 1024;
        try (CacheBed bed = new CacheBed(data, "cache: {enabled: true, max_bytes: " + max + "}", 0)) {
            for (int i = 0; i < 300; i++) {
                var r = bed.post("/v1/chat/completions",
                        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"unique question " + i + "\"}]}");
                assertThat(r.headers().firstValue("x-tollgate-cache")).hasValue("miss");
            }
            // 300 answers of roughly 600 bytes each were stored, about 5 times the bound
            assertThat(bed.services.cache().storedBytes()).isLessThanOrEqualTo(max).isPositive();
            assertThat(bed.services.cache().storedAnswers()).isLessThan(300);
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode yaml(String text) {
        try {
            return new ObjectMapper(new YAMLFactory()).readTree(text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
