package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.auth.Principal;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which requests the cache may serve and store, and with which TTL and namespace. */
class CacheDecisionTest {

    static CacheConfig config(boolean unseededSampling, List<CacheConfig.Policy> policies) {
        return new CacheConfig(true, 1 << 20, Duration.ofHours(1), null, true, false, unseededSampling,
                Duration.ofSeconds(60), 1 << 20, policies);
    }

    static Exchange exchange(Api api, String json, String key, Map<String, String> tags, String... headers) throws Exception {
        MultiMap h = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < headers.length; i += 2) h.add(headers[i], headers[i + 1]);
        Exchange e = new Exchange("req", api, Instant.now(), System.nanoTime(), h, Buffer.buffer(json),
                CacheKeyTest.body(json));
        e.route(CacheKeyTest.ROUTE);
        e.authenticate(new Principal(key, tags), tags);
        return e;
    }

    static CacheDecision decide(CacheConfig config, String json, String... headers) throws Exception {
        return CacheDecision.of(config, exchange(Api.OPENAI_CHAT, json, "search-prod", Map.of("team", "search"), headers));
    }

    @Test
    void requestsThatCannotRepeatAreNeitherServedNorStored() throws Exception {
        CacheConfig strict = config(false, List.of());
        CacheConfig lenient = config(true, List.of());
        assertThat(decide(lenient, "{\"model\":\"fast\",\"n\":2}").reason()).isEqualTo("n > 1");
        assertThat(decide(lenient, "{\"model\":\"fast\",\"best_of\":3}").reason()).isEqualTo("best_of > 1");
        ObjectNode stateful = CacheKeyTest.body("{\"model\":\"fast\",\"previous_response_id\":\"resp_1\",\"input\":\"go on\"}");
        assertThat(CacheDecision.unrepeatable(lenient, Api.OPENAI_RESPONSES, stateful)).isEqualTo("depends on stored state");
        // sampling without a seed: stored unless the operator says otherwise
        assertThat(decide(lenient, "{\"model\":\"fast\"}").store()).isTrue();
        assertThat(decide(strict, "{\"model\":\"fast\"}").reason()).isEqualTo("sampling without a seed");
        assertThat(decide(strict, "{\"model\":\"fast\",\"temperature\":0.7}").store()).isFalse();
        assertThat(decide(strict, "{\"model\":\"fast\",\"temperature\":0}").store()).isTrue();
        assertThat(decide(strict, "{\"model\":\"fast\",\"temperature\":0.7,\"seed\":42}").store()).isTrue();
        CacheDecision unrepeatable = decide(lenient, "{\"model\":\"fast\",\"n\":2}");
        assertThat(unrepeatable.lookup() || unrepeatable.store() || unrepeatable.coalesce()).isFalse();
    }

    @Test
    void headersSteerLookupAndStore() throws Exception {
        CacheConfig c = config(true, List.of());
        CacheDecision plain = decide(c, "{\"model\":\"fast\"}");
        assertThat(plain.lookup() && plain.store() && plain.coalesce()).isTrue();
        assertThat(plain.ttl()).isEqualTo(Duration.ofHours(1));
        CacheDecision noStore = decide(c, "{\"model\":\"fast\"}", "cache-control", "no-store");
        assertThat(noStore.lookup() || noStore.store() || noStore.coalesce()).isFalse();
        CacheDecision noCache = decide(c, "{\"model\":\"fast\"}", "Cache-Control", "max-age=0, no-cache");
        assertThat(noCache.lookup()).isFalse();
        assertThat(noCache.store()).isTrue();
        assertThat(decide(c, "{\"model\":\"fast\"}", "x-tollgate-cache-ttl", "300").ttl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(decide(c, "{\"model\":\"fast\"}", "x-tollgate-cache-ttl", "0").store()).isFalse();
        assertThatThrownBy(() -> decide(c, "{\"model\":\"fast\"}", "x-tollgate-cache-ttl", "1h"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theFirstMatchingPolicyDecidesTtlNamespaceAndWhetherToCache() throws Exception {
        CacheConfig c = config(true, List.of(
                new CacheConfig.Policy(null, "ads-dev", null, null, false, null, null),
                new CacheConfig.Policy("fast", null, "team", "search", null, Duration.ofDays(7), "search"),
                new CacheConfig.Policy("fast", null, null, null, null, Duration.ofMinutes(10), null)));
        CacheDecision search = CacheDecision.of(c, exchange(Api.OPENAI_CHAT, "{\"model\":\"fast\"}", "search-prod", Map.of("team", "search")));
        assertThat(search.ttl()).isEqualTo(Duration.ofDays(7));
        assertThat(search.namespace()).isEqualTo("shared:search");
        CacheDecision other = CacheDecision.of(c, exchange(Api.OPENAI_CHAT, "{\"model\":\"fast\"}", "web-prod", Map.of("team", "web")));
        assertThat(other.ttl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(other.namespace()).isEqualTo("key:web-prod");
        CacheDecision ads = CacheDecision.of(c, exchange(Api.OPENAI_CHAT, "{\"model\":\"fast\"}", "ads-dev", Map.of("team", "search")));
        assertThat(ads).isSameAs(CacheDecision.OFF);
    }
}
