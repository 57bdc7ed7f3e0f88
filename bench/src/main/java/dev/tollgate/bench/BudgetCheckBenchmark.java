package dev.tollgate.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.auth.Principal;
import dev.tollgate.gateway.budget.BudgetService;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.route.Route;
import dev.tollgate.gateway.route.Router;
import dev.tollgate.gateway.stage.BudgetStage;
import dev.tollgate.gateway.stage.Stage;
import dev.tollgate.store.BudgetStore;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.ObservedLedger;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What budgets and rate limits add to one request: {@link BudgetStage} on a chat request that five budgets (org, key,
 * team, project, customer) and two rate limits (key and team) apply to — counting the prompt, taking from the token
 * buckets, reserving the worst case on five budgets, runaway bookkeeping — and then the settle when the answer is
 * priced (reservations replaced by the real cost, thresholds checked, token take corrected, headers set).
 * {@code none} is the same request with no budget or limit configured. {@code five-redis} (only when asked for:
 * {@code -p budgets=five-redis}; needs Redis at {@code $TOLLGATE_BENCH_REDIS}, default redis://127.0.0.1:6379) keeps
 * the same counters in Redis, as replicas would, and waits for the answer's end: the round trips included. Sample
 * time, so JMH reports the median.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BudgetCheckBenchmark {

    @Param({"five", "none"})
    public String budgets;

    private static final String CONTROLS = """
            spend_controls:
              time_zone: Europe/Berlin
              budgets:
                - {name: org, scope: org, period: monthly, limit_usd: "1000000000"}
                - {name: key, scope: "key:bench", period: daily, limit_usd: "1000000000"}
                - {name: team, scope: "team:search", period: weekly, limit_usd: "1000000000", action: notify}
                - {name: project, scope: "project:web", period: monthly, limit_usd: "1000000000", action: downgrade, downgrade_to: gpt-4o-mini}
                - {name: customer, scope: "customer:acme", period: lifetime, limit_usd: "1000000000"}
              rate_limits:
                - {scope: "key:*", requests_per_minute: 1000000000, tokens_per_minute: 1000000000000}
                - {scope: "team:search", requests_per_minute: 1000000000, tokens_per_minute: 1000000000000}
            """;

    private final Buffer raw = Buffer.buffer("""
            {"model":"gpt-4o-mini","max_tokens":256,"messages":[{"role":"system","content":"You are a helpful assistant that answers briefly."},
             {"role":"user","content":"What does a token bucket do, and why do rate limiters use one instead of a fixed window?"}]}""");
    private final Map<String, String> tags = Map.of("team", "search", "project", "web", "env", "prod", "customer", "acme");
    private final Principal principal = new Principal("bench", tags);
    private final Usage usage = Usage.openAi(42, 0, 180, 0);
    private final BigDecimal cost = new BigDecimal("0.0001143");
    private final MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    private BudgetService service;
    private BudgetStage stage;
    private Route route;
    private ObjectNode body;

    /** The provider answering at once: priced as metering would, then usage, head and end. */
    private final Stage.Chain provider = (exchange, sink) -> {
        exchange.priced(cost, "gpt-4o-mini@2024-07-18");
        sink.usage(usage, "gpt-4o-mini", false);
        sink.start(200, MultiMap.caseInsensitiveMultiMap());
        sink.end();
    };

    private static final ReplySink CLIENT = new ReplySink() {
        @Override public void usage(Usage usage, String servedModel, boolean estimated) { }
        @Override public void start(int status, MultiMap headers) { }
        @Override public void data(Buffer chunk) { }
        @Override public void end() { }
        @Override public void fail(GatewayError error) { throw new IllegalStateException(error.message()); }
    };

    @Setup
    public void setUp() throws Exception {
        String redis = System.getenv().getOrDefault("TOLLGATE_BENCH_REDIS", "redis://127.0.0.1:6379");
        GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse("""
                providers: {sandbox: {type: openai, base_url: "http://127.0.0.1:9/v1"}}
                models: [{name: gpt-4o-mini, provider: sandbox}]
                """ + (budgets.startsWith("five") ? CONTROLS : "")
                + (budgets.equals("five-redis") ? "  redis: {url: \"" + redis + "\", key_prefix: \"" + PREFIX + "\"}\n" : ""));
        service = BudgetService.start(config, ObservedLedger.of(new EmptyLedger()), BudgetStore.inMemory(), Clock.systemUTC());
        Router router = new Router(config);
        route = router.route("gpt-4o-mini").orElseThrow();
        stage = new BudgetStage(service, router, () -> CATALOG);
        body = (ObjectNode) Json.parse(raw);
        if (budgets.startsWith("five") && service.book().applicable("bench", tags, Instant.now()).size() != 5) {
            throw new IllegalStateException("five budgets should apply");
        }
    }

    private static final PriceCatalog CATALOG = PriceCatalog.bundled();

    private long calls;
    private static final String PREFIX = "tollgate-bench:" + java.util.UUID.randomUUID() + ":";

    @TearDown
    public void tearDown() {
        if (service.redis() != null) dropKeys(System.getenv().getOrDefault("TOLLGATE_BENCH_REDIS", "redis://127.0.0.1:6379"));
        service.close();
    }

    /** Deletes this run's counters (a month's budget would otherwise stay a month). */
    private static void dropKeys(String url) {
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        io.vertx.redis.client.Redis client = io.vertx.redis.client.Redis.createClient(vertx, url);
        try {
            var keys = client.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.KEYS).arg(PREFIX + "*"))
                    .toCompletionStage().toCompletableFuture().get();
            for (var k : keys) {
                client.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.DEL).arg(k.toString()))
                        .toCompletionStage().toCompletableFuture().get();
            }
        } catch (Exception e) {
            System.err.println("could not delete the benchmark's Redis keys " + PREFIX + "*: " + e);
        } finally {
            client.close();
            vertx.close();
        }
    }

    @Benchmark
    public Exchange checkAndSettle() throws Exception {
        Exchange exchange = new Exchange("req_bench", Api.OPENAI_CHAT, Instant.now(), System.nanoTime(), headers, raw, body);
        exchange.authenticate(principal, tags);
        exchange.route(route);
        if (service.redis() == null) {
            stage.handle(exchange, CLIENT, provider::proceed);
            return exchange;
        }
        // Redis holds each reservation under its request id: a new one per call, as the gateway gives
        exchange = new Exchange("req_bench_" + calls++, Api.OPENAI_CHAT, exchange.arrivedAt(), exchange.arrivedNanos(), headers, raw, body);
        exchange.authenticate(principal, tags);
        exchange.route(route);
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        stage.handle(exchange, new ReplySink.Forwarding(CLIENT) {
            @Override public void end() { done.complete(null); }
            @Override public void fail(GatewayError error) { done.completeExceptionally(new IllegalStateException(error.message())); }
        }, provider::proceed);
        done.get();
        return exchange;
    }

    /** A ledger with nothing in it: budgets start from zero and nothing is written. */
    static final class EmptyLedger implements Ledger {
        @Override public void append(LedgerEntry entry) { }
        @Override public void flush() { }
        @Override public List<SpendRow> spend(SpendQuery query) { return List.of(); }
        @Override public List<LedgerEntry> recent(int limit) { return List.of(); }
        @Override public java.util.Optional<LedgerEntry> find(String requestId) { return java.util.Optional.empty(); }
        @Override public void close() { }
    }
}
