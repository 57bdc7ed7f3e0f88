package dev.tollgate.gateway.cache;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.TestTransport;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.NetServer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code cache.redis}: three replicas (each its own Vert.x, ledger and in-process cache) share answers, calls in
 * flight and Idempotency-Keys through one Redis under one prefix, in front of one provider that counts its calls and
 * takes {@link #PROVIDER_MS} to answer, so that requests sent together overlap.
 */
class SharedCacheTest {

    static final String KEY = "tg-search";
    static final int PROVIDER_MS = 700;

    @TempDir
    Path data;

    private final String prefix = "tollgate-test:" + UUID.randomUUID() + ":";
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<Replica> replicas = new ArrayList<>();
    private Vertx providerVertx;
    private final AtomicInteger providerCalls = new AtomicInteger();
    private int providerPort;

    /** One gateway process, as far as the cache can tell. */
    private record Replica(Vertx vertx, DuckDbLedger ledger, GatewayServices services, Gateway gateway) {
        void close() {
            gateway.close();
            services.cache().close();
            ledger.close();
            vertx.close().await();
        }
    }

    @BeforeEach
    void provider() {
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress("127.0.0.1", 6379), 1000);
        } catch (IOException e) {
            assumeTrue("true".equals(System.getenv("CI")), "skipped: the shared cache tests need a Redis on 127.0.0.1:6379");
            throw new IllegalStateException("no Redis on 127.0.0.1:6379", e);
        }
        providerVertx = Vertx.vertx();
        HttpServer server = providerVertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
            int call = providerCalls.incrementAndGet();
            providerVertx.setTimer(PROVIDER_MS, id -> request.response().putHeader("content-type", "application/json").end("""
                    {"id":"chatcmpl-%d","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,\
                    "message":{"role":"assistant","content":"answer of call %d"},"finish_reason":"stop"}],\
                    "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}""".formatted(call, call)));
        })).listen(0).await();
        providerPort = server.actualPort();
    }

    @AfterEach
    void close() {
        for (Replica r : replicas) r.close();
        Vertx vertx = Vertx.vertx();
        Redis redis = Redis.createClient(vertx, "redis://127.0.0.1:6379");
        for (Response k : redis.send(Request.cmd(Command.KEYS).arg(prefix + "*")).await()) {
            redis.send(Request.cmd(Command.DEL).arg(k.toString())).await();
        }
        redis.close();
        vertx.close().await();
        providerVertx.close().await();
    }

    private Replica replica(String redisYaml) throws Exception {
        String yaml = """
                cache:
                  enabled: true
                  redis: %s
                providers:
                  upstream: {type: openai, base_url: "http://127.0.0.1:%d/v1"}
                models:
                  - {name: gpt-4o-mini, provider: upstream}
                keys:
                  - {key: %s, name: search-prod}
                """.formatted(redisYaml, providerPort, KEY);
        GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse(yaml);
        Vertx vertx = TestTransport.choice().vertx(new VertxOptions().setEventLoopPoolSize(2));
        DuckDbLedger ledger = DuckDbLedger.open(data.resolve("replica-" + replicas.size()));
        GatewayServices services = GatewayServices.of(config, PriceCatalog.bundled(), ledger);
        Replica r = new Replica(vertx, ledger, services, Gateway.start(vertx, services, 0, 2).await());
        replicas.add(r);
        return r;
    }

    /** A replica sharing the test's prefix; Redis given time enough never to be skipped on a busy machine. */
    /** A lease far longer than any call here: a loaded machine that delays its renewal must not let a second replica call. */
    private Replica replica() throws Exception {
        return replicaWithLease(5000);
    }

    private Replica replicaWithLease(int leaseMillis) throws Exception {
        return replica("{url: \"redis://127.0.0.1:6379\", prefix: \"" + prefix + "\", lease_ms: " + leaseMillis + ", timeout_ms: 5000}");
    }

    private CompletableFuture<HttpResponse<String>> post(Replica r, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(r.gateway().baseUrl() + "/v1/chat/completions"))
                .header("content-type", "application/json").header("authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String question(String text) {
        return "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    /** Waits (without timing anything) until the provider has received {@code calls} calls. */
    private void awaitProviderCalls(int calls) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (providerCalls.get() < calls && System.nanoTime() < deadline) Thread.sleep(5);
        assertThat(providerCalls.get()).isGreaterThanOrEqualTo(calls);
    }

    @Test
    void hundredIdenticalRequestsOverThreeReplicasReachTheProviderOnce() throws Exception {
        List<Replica> three = List.of(replica(), replica(), replica());
        String body = question("everyone on every replica asks this");
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 100; i++) calls.add(post(three.get(i % 3), body));
        List<HttpResponse<String>> responses = calls.stream().map(CompletableFuture::join).toList();

        assertThat(three.stream().mapToLong(r -> r.services().cache().redis().failures()).sum()).isZero();
        assertThat(providerCalls.get()).isEqualTo(1);
        assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
        assertThat(responses.stream().map(HttpResponse::body).distinct().toList()).hasSize(1);
        assertThat(responses.getFirst().body()).contains("answer of call 1");
        long misses = responses.stream().filter(r -> r.headers().firstValue("x-tollgate-cache").orElse("").equals("miss")).count();
        assertThat(misses).isEqualTo(1);
        // each replica's own answers in Redis: every replica but the caller's found the shared answer there
        assertThat(three.stream().mapToLong(r -> r.services().cache().redis().hits()).sum()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void anAnswerStoredByOneReplicaIsServedByAnother() throws Exception {
        Replica first = replica();
        Replica second = replica();
        String body = question("asked on one replica, then on another");
        HttpResponse<String> paid = post(first, body).get(20, TimeUnit.SECONDS);
        // until its answer is in Redis the first replica holds the lease, so the second waits for the answer
        HttpResponse<String> served = post(second, body).get(20, TimeUnit.SECONDS);

        assertThat(paid.headers().firstValue("x-tollgate-cache")).hasValue("miss");
        assertThat(served.headers().firstValue("x-tollgate-cache")).hasValue("hit");
        assertThat(served.headers().firstValue("x-tollgate-cost-usd")).hasValue("0");
        assertThat(new java.math.BigDecimal(served.headers().firstValue("x-tollgate-saved-usd").orElseThrow()))
                .isEqualByComparingTo(new java.math.BigDecimal(paid.headers().firstValue("x-tollgate-cost-usd").orElseThrow()));
        assertThat(served.body()).isEqualTo(paid.body());
        assertThat(providerCalls.get()).isEqualTo(1);
    }

    @Test
    void aLeaderThatDiesWithoutAnAnswerLeavesTheCallToAWaiter() throws Exception {
        // a short lease: the waiter takes the call over once the dead leader's lease runs out
        Replica leader = replicaWithLease(600);
        Replica waiter = replicaWithLease(600);
        String body = question("asked of a replica that dies");
        CompletableFuture<HttpResponse<String>> lost = post(leader, body);
        awaitProviderCalls(1);
        CompletableFuture<HttpResponse<String>> waiting = post(waiter, body);
        // the leader dies mid-call: it stops renewing its lease and never stores an answer
        leader.services().cache().close();
        replicas.remove(leader);
        leader.close();

        HttpResponse<String> answer = waiting.get(20, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).contains("answer of call 2");
        assertThat(providerCalls.get()).isEqualTo(2);
    }

    @Test
    void anIdempotentRetryOnAnotherReplicaGetsTheFirstAnswer() throws Exception {
        Replica first = replica();
        Replica second = replica();
        // uncacheable, so that only the Idempotency-Key can make the retry share the first call
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"charge order 42\"}]}";
        CompletableFuture<HttpResponse<String>> original = post(first, body, "idempotency-key", "order-42", "cache-control", "no-store");
        awaitProviderCalls(1);
        HttpResponse<String> retry = post(second, body, "idempotency-key", "order-42", "cache-control", "no-store").get(20, TimeUnit.SECONDS);
        HttpResponse<String> reused = post(second, question("another order"), "idempotency-key", "order-42").get(20, TimeUnit.SECONDS);

        assertThat(original.get().statusCode()).isEqualTo(200);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.headers().firstValue("x-tollgate-cache")).hasValue("idempotent");
        assertThat(retry.body()).isEqualTo(original.get().body());
        assertThat(providerCalls.get()).isEqualTo(1);
        assertThat(reused.statusCode()).isEqualTo(409);
    }

    @Test
    void aRedisThatNeverAnswersFailsNoRequest() throws Exception {
        // accepts connections and never replies: every Redis call runs into its timeout
        Vertx blackHoleVertx = Vertx.vertx();
        try {
            NetServer blackHole = blackHoleVertx.createNetServer().connectHandler(socket -> socket.handler(bytes -> { })).listen(0).await();
            Replica r = replica("{url: \"redis://127.0.0.1:" + blackHole.actualPort() + "\", timeout_ms: 100}");
            HttpResponse<String> miss = post(r, question("asked while Redis hangs")).get(20, TimeUnit.SECONDS);
            HttpResponse<String> again = post(r, question("asked while Redis hangs")).get(20, TimeUnit.SECONDS);

            assertThat(miss.statusCode()).isEqualTo(200);
            assertThat(miss.headers().firstValue("x-tollgate-cache")).hasValue("miss");
            // the replica's own cache still serves what it stored
            assertThat(again.headers().firstValue("x-tollgate-cache")).hasValue("hit");
            assertThat(again.body()).isEqualTo(miss.body());
            assertThat(providerCalls.get()).isEqualTo(1);
            long failures = r.services().cache().redis().failures();
            assertThat(failures).isPositive();
            String metrics = http.send(HttpRequest.newBuilder(URI.create(r.gateway().baseUrl() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).containsPattern("(?m)^tollgate_cache_redis_failures_total(\\{[^}]*})? [1-9]");
        } finally {
            for (Replica r : replicas) r.close();
            replicas.clear();
            blackHoleVertx.close().await();
        }
    }
}
