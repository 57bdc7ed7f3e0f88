package dev.tollgate.gateway.budget;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Every test of {@link BudgetsTest} again, with the counters in Redis: one replica behaves as the in-process gateway does. */
class BudgetsOnRedisTest extends BudgetsTest {

    static RedisFixture redis;

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisFixture();
        startWith("redis: {url: \"" + RedisFixture.URL + "\", key_prefix: \"" + redis.prefix + "\", timeout_ms: 10000}\n");
    }

    @AfterAll
    static void dropKeys() {
        if (redis != null) redis.close();
    }
}
