package dev.tollgate.gateway.cache;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

/** The shared cache's lookups in {@code /metrics}: hits, misses, and Redis calls that failed or timed out. */
public final class RedisCacheMetrics {

    private RedisCacheMetrics() {
    }

    public static void bind(RedisCache redis, MeterRegistry registry) {
        FunctionCounter.builder("tollgate.cache.redis.lookups", redis, RedisCache::hits).tag("result", "hit")
                .description("Lookups of the cache shared through Redis, by result").register(registry);
        FunctionCounter.builder("tollgate.cache.redis.lookups", redis, RedisCache::misses).tag("result", "miss")
                .description("Lookups of the cache shared through Redis, by result").register(registry);
        FunctionCounter.builder("tollgate.cache.redis.failures", redis, RedisCache::failures)
                .description("Redis calls of the shared cache that failed or timed out; the requests went on without it")
                .register(registry);
    }
}
