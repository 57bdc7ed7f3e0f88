package dev.tollgate.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.cache.CacheConfig;
import dev.tollgate.gateway.cache.CacheKey;
import dev.tollgate.gateway.cache.CacheStage;
import dev.tollgate.gateway.cache.CacheStore;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.route.Route;
import dev.tollgate.gateway.stage.Stage;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the cache stage adds to a request, measured on the stage itself (no sockets): on a miss, the policy
 * decision, the canonical key (normalize + SHA-256), the lookup, the in-flight registration and, once the (instant)
 * answer lands, recording and storing it; on a hit, the whole answer played into the client's sink plus queueing its
 * ledger row. {@code canonicalKey} is the key alone. The target is a median under 10 µs for {@code stageOnMiss}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CacheBenchmark {

    /** A typical chat request: a system prompt, a question, a few parameters (about 500 bytes). */
    static final String REQUEST = """
            {"model":"gpt-4o-mini","temperature":0.2,"max_tokens":256,"messages":[
             {"role":"system","content":"You are the support assistant of an online shop. Answer in two or three \
            short sentences, politely, and only about orders, payments, deliveries and returns."},
             {"role":"user","content":"How do I reset my password? I tried the link in the email but it says the \
            token has expired and I do not know what to do next."}],"user":"customer-8812"}""";

    private static final ReplySink DISCARD = new ReplySink() {
        @Override public void usage(Usage usage, String servedModel, boolean estimated) { }
        @Override public void start(int status, MultiMap headers) { }
        @Override public void data(Buffer chunk) { }
        @Override public void end() { }
        @Override public void fail(GatewayError error) { }
    };

    /** The rest of the request path answers at once with a 200, so a miss is recorded and stored like a real one. */
    private static final Stage.Chain ANSWER = (exchange, sink) -> {
        exchange.status(200);
        sink.usage(new Usage(60, 0, 0, 0, 40, 0), "gpt-4o-mini-2024-07-18", false);
        sink.start(200, MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json"));
        sink.data(Buffer.buffer("{\"id\":\"chatcmpl-1\",\"choices\":[{\"message\":{\"content\":\"Use the link again.\"}}]}"));
        sink.end();
    };

    /** Never reached on a hit. */
    private static final Stage.Chain UNREACHED = (exchange, sink) -> {
        throw new IllegalStateException("a hit went on to the provider");
    };

    private final Route route = new Route("gpt-4o-mini",
            new GatewayConfig.Provider("openai", "openai", "https://api.openai.com/v1", "sk", null, null),
            "gpt-4o-mini", "gpt-4o-mini");
    private final Buffer raw = Buffer.buffer(REQUEST);
    private Path dir;
    private DuckDbLedger ledger;
    private CacheStage stage;
    private ObjectNode hitBody;
    private long n;

    /** A real ledger: a hit queues its row as in the gateway, and the writer thread runs alongside. */
    @Setup
    public void setUp() throws IOException {
        CacheConfig config = new CacheConfig(true, 256L << 20, Duration.ofHours(1), null, true, false, true,
                Duration.ofSeconds(60), 64L << 20, List.of());
        dir = Files.createTempDirectory("tollgate-cache-stage-bench");
        ledger = DuckDbLedger.open(dir);
        stage = new CacheStage(new CacheStore(config), ledger);
        hitBody = (ObjectNode) Json.parse(raw);
        stage.handle(exchange(hitBody), DISCARD, ANSWER); // stores the answer the hit benchmark replays
    }

    @TearDown
    public void tearDown() throws IOException {
        ledger.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private Exchange exchange(ObjectNode body) {
        Exchange e = new Exchange("req_bench", Api.OPENAI_CHAT, Instant.now(), System.nanoTime(),
                MultiMap.caseInsensitiveMultiMap(), raw, body);
        e.route(route);
        return e;
    }

    /** A body unseen so far (its max_tokens differs), parsed outside the measured stage work. */
    private ObjectNode unseenBody() {
        ObjectNode body = hitBody.deepCopy();
        body.put("max_tokens", 1000 + (n++ & 0xFFFFF));
        return body;
    }

    @Benchmark
    public String canonicalKey() {
        return CacheKey.hash(Api.OPENAI_CHAT, route, hitBody);
    }

    /** A miss, the in-flight registration, and recording and storing a small answer when it lands. */
    @Benchmark
    public Exchange stageOnMiss() {
        Exchange e = exchange(unseenBody());
        stage.handle(e, DISCARD, ANSWER);
        return e;
    }

    @Benchmark
    public Exchange stageOnHit() {
        Exchange e = exchange(hitBody);
        stage.handle(e, DISCARD, UNREACHED);
        return e;
    }

    /** For comparison: making an unseen body, which stageOnMiss also pays for outside the stage. */
    @Benchmark
    public ObjectNode copyBodyOnly() {
        return unseenBody();
    }

}
