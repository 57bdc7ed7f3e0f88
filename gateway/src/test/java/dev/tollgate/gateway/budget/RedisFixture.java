package dev.tollgate.gateway.budget;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** The Redis at 127.0.0.1:6379 (as in CI), seen through a key prefix of its own; {@link #close} deletes its keys. */
final class RedisFixture implements AutoCloseable {

    static final String URL = "redis://127.0.0.1:6379";

    final String prefix = "tollgate-test:" + UUID.randomUUID() + ":";
    private final Vertx vertx;
    private final Redis client;

    /** Skips the calling test class, with a message, where no Redis answers (except under CI, which starts one). */
    RedisFixture() {
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress("127.0.0.1", 6379), 1000);
        } catch (IOException e) {
            String missing = "the Redis-backed budget tests need a Redis on 127.0.0.1:6379 (" + e.getMessage() + ")";
            if ("true".equals(System.getenv("CI"))) throw new IllegalStateException(missing);
            Assumptions.abort("skipped: " + missing);
        }
        vertx = Vertx.vertx();
        client = Redis.createClient(vertx, URL);
    }

    Response call(Command command, Object... args) {
        Request r = Request.cmd(command);
        for (Object a : args) r.arg(String.valueOf(a));
        return await(client.send(r));
    }

    List<String> keys() {
        List<String> out = new ArrayList<>();
        for (Response k : call(Command.KEYS, prefix + "*")) out.add(k.toString());
        return out;
    }

    @Override
    public void close() {
        for (String k : keys()) call(Command.DEL, k);
        client.close();
        vertx.close();
    }

    static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
