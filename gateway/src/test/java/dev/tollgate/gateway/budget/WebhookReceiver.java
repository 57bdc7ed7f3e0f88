package dev.tollgate.gateway.budget;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server that receives alert webhooks: {@code /slack}, {@code /hook}, and {@code /flaky}, which answers
 * 503 to its first {@code failures} calls.
 */
final class WebhookReceiver implements AutoCloseable {

    record Received(String path, String body, Map<String, List<String>> headers, int answered) {
        String header(String name) {
            for (var e : headers.entrySet()) if (e.getKey().equalsIgnoreCase(name)) return e.getValue().getFirst();
            return null;
        }
    }

    final List<Received> received = new CopyOnWriteArrayList<>();
    private final HttpServer server;
    private final AtomicInteger flakyFailuresLeft;

    WebhookReceiver(int failures) throws IOException {
        flakyFailuresLeft = new AtomicInteger(failures);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = exchange.getRequestURI().getPath();
            int status = path.equals("/flaky") && flakyFailuresLeft.getAndDecrement() > 0 ? 503 : 200;
            received.add(new Received(path, body, Map.copyOf(exchange.getRequestHeaders()), status));
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    List<Received> at(String path) {
        return received.stream().filter(r -> r.path().equals(path)).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
