package dev.tollgate.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.cache.CacheConfig;
import dev.tollgate.gateway.cache.CacheStage;
import dev.tollgate.gateway.cache.CacheStore;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.route.Route;
import dev.tollgate.gateway.stage.Stage;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What {@code cache.redis} adds to a request, on the cache stage itself (no sockets to the client), run on a Vert.x
 * event loop as in the gateway and waited for until the answer's end reaches the client's sink:
 * {@code store=process} is the in-process cache alone, {@code store=redis} the same with {@code cache.redis} set and
 * an in-process cache too small to keep anything, so that every hit is read from Redis
 * ({@code redis://127.0.0.1:6379}, or {@code $TOLLGATE_BENCH_REDIS}). A miss in Redis is one round trip before the
 * call (the answer-or-lease script); storing the answer and giving the lease back happen after the client has it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RedisCacheBenchmark {

    @Param({"process", "redis"})
    public String store;

    private static final Stage.Chain ANSWER = (exchange, sink) -> {
        exchange.status(200);
        sink.usage(new Usage(60, 0, 0, 0, 40, 0), "gpt-4o-mini-2024-07-18", false);
        sink.start(200, MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json"));
        sink.data(Buffer.buffer("{\"id\":\"chatcmpl-1\",\"choices\":[{\"message\":{\"content\":\"Use the link again.\"}}]}"));
        sink.end();
    };

    private final Route route = new Route("gpt-4o-mini",
            new GatewayConfig.Provider("openai", "openai", "https://api.openai.com/v1", "sk", null, null),
            "gpt-4o-mini", "gpt-4o-mini");
    private final Buffer raw = Buffer.buffer(CacheBenchmark.REQUEST);
    private Vertx vertx;
    private Context context;
    private Path dir;
    private DuckDbLedger ledger;
    private CacheStore cache;
    private CacheStage stage;
    private ObjectNode hitBody;
    private long n;

    @Setup
    public void setUp() throws Exception {
        String url = System.getenv().getOrDefault("TOLLGATE_BENCH_REDIS", "redis://127.0.0.1:6379");
        boolean redis = store.equals("redis");
        CacheConfig config = new CacheConfig(true, redis ? 1 : 256L << 20, Duration.ofMinutes(1), null, true, false, true,
                Duration.ofSeconds(60), 64L << 20, List.of(), CacheConfig.NearDuplicate.OFF,
                redis ? new CacheConfig.Redis(url, "tollgate-bench:" + UUID.randomUUID() + ":", Duration.ofSeconds(5), null) : null);
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        dir = Files.createTempDirectory("tollgate-redis-cache-bench");
        ledger = DuckDbLedger.open(dir);
        cache = new CacheStore(config);
        stage = new CacheStage(cache, ledger);
        hitBody = (ObjectNode) Json.parse(raw);
        run(hitBody, ANSWER); // stores the answer the hit benchmark replays
        Thread.sleep(200); // the answer's SET in Redis goes after the client's end
    }

    @TearDown
    public void tearDown() throws IOException {
        cache.close();
        vertx.close().await();
        ledger.close();
    }

    private Exchange run(ObjectNode body, Stage.Chain next) {
        Exchange e = new Exchange("req_bench", Api.OPENAI_CHAT, Instant.now(), System.nanoTime(),
                MultiMap.caseInsensitiveMultiMap(), raw, body);
        e.route(route);
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        ReplySink sink = new ReplySink() {
            @Override public void usage(Usage usage, String servedModel, boolean estimated) { }
            @Override public void start(int status, MultiMap headers) { }
            @Override public void data(Buffer chunk) { }
            @Override public void end() { done.complete(e); }
            @Override public void fail(GatewayError error) { done.completeExceptionally(new IllegalStateException(error.message())); }
        };
        context.runOnContext(v -> stage.handle(e, sink, next));
        return done.join();
    }

    @Benchmark
    public Exchange hit() {
        return run(hitBody, (exchange, sink) -> {
            throw new IllegalStateException("a hit went on to the provider");
        });
    }

    /** An unseen request (its max_tokens differs): the lookup, the claim, the (instant) answer. */
    @Benchmark
    public Exchange miss() {
        ObjectNode body = hitBody.deepCopy();
        body.put("max_tokens", 1000 + (n++ & 0xFFFFF));
        return run(body, ANSWER);
    }
}
