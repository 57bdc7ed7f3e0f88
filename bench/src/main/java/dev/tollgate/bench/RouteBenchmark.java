package dev.tollgate.bench;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.route.Deployment;
import dev.tollgate.gateway.route.RouteGroup;
import dev.tollgate.gateway.route.Router;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * What routing adds to a request (issue 13 asks for well under 5 µs): resolving the model name and, for a route,
 * planning the order of its two deployments under each strategy (health read from the circuit breakers, prices from
 * the catalog for {@code cheapest}). {@code single} is a plain model: one map lookup, no plan.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class RouteBenchmark {

    @Param({"single", "ordered", "weighted", "latency", "cheapest"})
    public String strategy;

    private Router router;
    private PriceCatalog catalog;
    private String model;
    private final Instant now = Instant.now();

    @Setup
    public void setup() throws Exception {
        router = new Router(new ConfigLoader(Map.<String, String>of()::get).parse("""
                providers:
                  openai: {type: openai}
                  anthropic: {type: anthropic}
                models:
                  - {name: single, provider: openai, model: gpt-4o-mini}
                routes:
                  - {name: ordered, strategy: ordered, deployments: [{provider: openai, model: gpt-4o-mini}, {provider: anthropic, model: claude-haiku-4-5}]}
                  - {name: weighted, strategy: weighted, deployments: [{provider: openai, model: gpt-4o-mini, weight: 3}, {provider: anthropic, model: claude-haiku-4-5}]}
                  - {name: latency, strategy: latency, deployments: [{provider: openai, model: gpt-4o-mini}, {provider: anthropic, model: claude-haiku-4-5}]}
                  - {name: cheapest, strategy: cheapest, deployments: [{provider: openai, model: gpt-4o-mini}, {provider: anthropic, model: claude-haiku-4-5}]}
                """));
        catalog = PriceCatalog.bundled();
        model = strategy;
        RouteGroup group = router.group(model);
        if (group != null) for (Deployment d : group.deployments()) d.succeeded(1_000_000 + d.id().length());
    }

    @Benchmark
    public Object route() {
        Object route = router.route(model).orElseThrow();
        RouteGroup group = router.group(model);
        if (group == null) return route;
        return group.plan(catalog, now, ThreadLocalRandom.current().nextDouble());
    }
}
