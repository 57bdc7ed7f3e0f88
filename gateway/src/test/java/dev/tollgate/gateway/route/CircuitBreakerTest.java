package dev.tollgate.gateway.route;

import dev.tollgate.gateway.MovableClock;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A deployment's circuit opens on failures and is probed back once its open time has passed, on an injected clock. */
class CircuitBreakerTest {

    private static Router router(MovableClock clock) throws Exception {
        GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse("""
                providers:
                  a: {type: openai, base_url: "http://127.0.0.1:9/v1"}
                  b: {type: anthropic, base_url: "http://127.0.0.1:9"}
                routes:
                  - name: mini
                    circuit_breaker: {window: 4, min_calls: 4, failure_rate: 50, open_ms: 30000, half_open_calls: 2}
                    deployments: [{provider: a, model: gpt-4o-mini}, {provider: b, model: claude-haiku-4-5}]
                """);
        return new Router(config, clock);
    }

    @Test
    void opensOnFailuresThenProbesBackAndCloses() throws Exception {
        MovableClock clock = new MovableClock(Instant.parse("2026-12-01T00:00:00Z"));
        Deployment a = router(clock).group("mini").deployments().getFirst();
        RuntimeException failure = new RuntimeException("500");
        for (int i = 0; i < 2; i++) {
            assertThat(a.tryAcquire()).isTrue();
            a.succeeded(1_000_000);
        }
        for (int i = 0; i < 2; i++) {
            assertThat(a.tryAcquire()).isTrue();
            a.failed(1_000_000, failure);
        }
        // 2 of 4 failed: 50% opens it
        assertThat(a.breaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(a.healthy()).isFalse();
        assertThat(a.tryAcquire()).isFalse();

        clock.advance(Duration.ofSeconds(29));
        assertThat(a.healthy()).isFalse();
        assertThat(a.tryAcquire()).isFalse();
        clock.advance(Duration.ofSeconds(2));
        // its probe is due: the planner puts it back in its place, so the breaker is asked and lets the probe go
        assertThat(a.healthy()).isTrue();
        // past the open time: probes go through, half-open
        assertThat(a.tryAcquire()).isTrue();
        assertThat(a.breaker().getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        a.succeeded(1_000_000);
        assertThat(a.tryAcquire()).isTrue();
        a.succeeded(1_000_000);
        assertThat(a.breaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(a.healthy()).isTrue();
        assertThat(a.failures()).isEqualTo(2);
        assertThat(a.served()).isEqualTo(4);
    }

    @Test
    void aFailedProbeOpensItAgain() throws Exception {
        MovableClock clock = new MovableClock(Instant.parse("2026-12-01T00:00:00Z"));
        Deployment a = router(clock).group("mini").deployments().getFirst();
        a.breaker().transitionToOpenState();
        clock.advance(Duration.ofSeconds(31));
        assertThat(a.tryAcquire()).isTrue();
        a.failed(1, new RuntimeException("still down"));
        assertThat(a.tryAcquire()).isTrue();
        a.failed(1, new RuntimeException("still down"));
        assertThat(a.breaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(a.tryAcquire()).isFalse();
    }

    @Test
    void theRouteNameResolvesToItsFirstDeploymentAndPlainModelsHaveNoGroup() throws Exception {
        Router router = router(new MovableClock(Instant.parse("2026-12-01T00:00:00Z")));
        assertThat(router.route("mini")).hasValueSatisfying(r -> assertThat(r.model()).isEqualTo("gpt-4o-mini"));
        assertThat(router.group("mini").deployments()).extracting(Deployment::id)
                .containsExactly("a/gpt-4o-mini", "b/claude-haiku-4-5");
        assertThat(router.group("gpt-4o-mini")).isNull();
        assertThat(router.names()).containsExactly("mini");
    }
}
