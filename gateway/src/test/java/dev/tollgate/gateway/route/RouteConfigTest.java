package dev.tollgate.gateway.route;

import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RouteConfigTest {

    private static GatewayConfig parse(String yaml) throws Exception {
        return new ConfigLoader(Map.<String, String>of()::get).parse("""
                providers:
                  a: {type: openai, base_url: "http://127.0.0.1:9/v1"}
                models:
                  - {name: plain, provider: a}
                """ + yaml);
    }

    @Test
    void defaultsAndEveryKey() throws Exception {
        RouteConfig r = parse("""
                routes:
                  - name: mini
                    deployments: [{provider: a, model: gpt-4o-mini}, {provider: a, model: x, price_as: gpt-4o, weight: 3}]
                """).routes().getFirst();
        assertThat(r.strategy()).isEqualTo(RouteConfig.Strategy.ORDERED);
        assertThat(r.retries()).isEqualTo(1);
        assertThat(r.maxAttempts()).isEqualTo(4);
        assertThat(r.timeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(r.deployments().get(1).pricedAs()).isEqualTo("gpt-4o");
        assertThat(r.deployments().get(1).weight()).isEqualTo(3);

        RouteConfig all = parse("""
                routes:
                  - name: mini
                    strategy: cheapest
                    retries: 0
                    max_attempts: 5
                    timeout_ms: 1000
                    first_content_timeout_ms: 200
                    backoff_ms: 10
                    max_backoff_ms: 50
                    circuit_breaker: {failure_rate: 25, window: 8, min_calls: 4, open_ms: 500, half_open_calls: 1}
                    deployments: [{provider: a}]
                """).routes().getFirst();
        assertThat(all.strategy()).isEqualTo(RouteConfig.Strategy.CHEAPEST);
        assertThat(all.deployments().getFirst().model()).isEqualTo("mini");
        assertThat(all.maxAttempts()).isEqualTo(5);
        assertThat(all.firstContent()).isEqualTo(Duration.ofMillis(200));
        assertThat(all.breaker()).isEqualTo(new RouteConfig.BreakerConfig(25, 8, 4, Duration.ofMillis(500), 1));
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> parse("routes: [{name: r, strategy: fastest, deployments: [{provider: a}]}]"))
                .hasMessageContaining("routes[0].strategy must be one of ordered, weighted, latency, cheapest");
        assertThatThrownBy(() -> parse("routes: [{name: r, deployments: []}]")).hasMessageContaining("routes[0].deployments");
        assertThatThrownBy(() -> new Router(parse("routes: [{name: r, deployments: [{provider: nope}]}]")))
                .hasMessageContaining("provider 'nope'");
        assertThatThrownBy(() -> new Router(parse("routes: [{name: plain, deployments: [{provider: a}]}]")))
                .hasMessageContaining("has the name of a model");
        assertThatThrownBy(() -> parse("routes: [{name: r, retries: -1, deployments: [{provider: a}]}]"))
                .hasMessageContaining("routes[0].retries must be a whole number, 0 or more");
    }

    @Test
    void shadowDefaultsAndEveryKey() throws Exception {
        GatewayConfig config = parse("""
                routes:
                  - {name: r, deployments: [{provider: a}], shadow: {model: plain}}
                  - {name: s, deployments: [{provider: a}], shadow: {model: r, sample: 0.25, budget: shadows, max_in_flight: 4}}
                spend_controls:
                  budgets: [{name: shadows, scope: "key:shadow", limit_usd: "5"}]
                """);
        assertThat(config.routes().get(0).shadow()).isEqualTo(new RouteConfig.ShadowConfig("plain", 0.1, null, 16));
        assertThat(config.routes().get(1).shadow()).isEqualTo(new RouteConfig.ShadowConfig("r", 0.25, "shadows", 4));
        Router router = new Router(config);
        assertThat(router.group("r").shadow().candidate().name()).isEqualTo("plain");
        assertThat(router.group("r").shadow().candidateGroup()).isNull();
        assertThat(router.group("s").shadow().candidateGroup()).isSameAs(router.group("r")); // a route may be the candidate
    }

    @Test
    void shadowMistakesAreNamed() {
        assertThatThrownBy(() -> parse("routes: [{name: r, deployments: [{provider: a}], shadow: {model: plain, sample: 1.5}}]"))
                .hasMessageContaining("routes[0].shadow.sample");
        assertThatThrownBy(() -> parse("routes: [{name: r, deployments: [{provider: a}], shadow: {sample: 0.5}}]"))
                .hasMessageContaining("routes[0].shadow").hasMessageContaining("model");
        assertThatThrownBy(() -> parse("routes: [{name: r, deployments: [{provider: a}], shadow: {model: plain, rate: 0.5}}]"))
                .hasMessageContaining("rate");
        assertThatThrownBy(() -> new Router(parse("routes: [{name: r, deployments: [{provider: a}], shadow: {model: nope}}]")))
                .hasMessageContaining("routes.r.shadow.model 'nope' is not among the models or routes");
        assertThatThrownBy(() -> new Router(parse("routes: [{name: r, deployments: [{provider: a}], shadow: {model: plain, budget: nope}}]")))
                .hasMessageContaining("routes.r.shadow.budget 'nope' is not among spend_controls.budgets");
        // a budget the clients' spend also counts against would not hold shadow spend apart
        assertThatThrownBy(() -> new Router(parse("""
                routes: [{name: r, deployments: [{provider: a}], shadow: {model: plain, budget: all}}]
                spend_controls: {budgets: [{name: all, scope: org, limit_usd: "5"}]}
                """))).hasMessageContaining("scope it key:shadow or shadow:r");
        assertThatThrownBy(() -> new Router(parse("""
                routes: [{name: r, deployments: [{provider: a}], shadow: {model: plain, budget: other}}]
                spend_controls: {budgets: [{name: other, scope: "shadow:elsewhere", limit_usd: "5"}]}
                """))).hasMessageContaining("scope it key:shadow or shadow:r");
    }
}
