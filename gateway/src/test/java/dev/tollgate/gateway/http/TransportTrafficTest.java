package dev.tollgate.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.ConfigLoader.ConfigException;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real traffic through the gateway on each network transport this machine offers ({@code server.transport}): the
 * client port, the provider connections and the ledger behave the same on io_uring, epoll and NIO.
 */
class TransportTrafficTest {

    private static final String ADMIN = "admin-token";
    private static final String PROMPT = "Which transport carries this?";
    private static final int MAX_TOKENS = 6;
    /** gpt-4o-mini's list price, dollars per million tokens (input, output). */
    private static final BigDecimal INPUT_PER_MILLION = new BigDecimal("0.15");
    private static final BigDecimal OUTPUT_PER_MILLION = new BigDecimal("0.6");

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @ParameterizedTest
    @EnumSource(value = NetworkTransport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void answersStreamsMetersAndKeepsTheUpstreamConnection(NetworkTransport setting, @TempDir Path data) throws Exception {
        NetworkTransport.Choice choice = null;
        try {
            choice = setting.choose();
        } catch (ConfigException unavailable) {
            assumeTrue(false, unavailable.getMessage());
        }
        // one event loop: every call of the test's client connection uses the same provider connection pool
        Vertx vertx = choice.vertx(new VertxOptions().setEventLoopPoolSize(1));
        SandboxServer sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
        try (CountingRelay upstream = new CountingRelay(sandbox.port());
             DuckDbLedger ledger = DuckDbLedger.open(data)) {
            assertThat(((VertxInternal) vertx).transport()).isSameAs(choice.transport().implementation());
            var config = new ConfigLoader(Map.<String, String>of()::get).parse("""
                    server: {transport: %s}
                    admin: {token: %s}
                    providers:
                      sandbox: {type: openai, base_url: "http://127.0.0.1:%d/v1", api_key: sk-upstream}
                    models:
                      - {name: gpt-4o-mini, provider: sandbox}
                    """.formatted(setting.key(), ADMIN, upstream.port()));
            GatewayServices services = GatewayServices.of(config, PriceCatalog.bundled(), ledger);
            Gateway gateway = Gateway.start(vertx, services, 0, 1).await();
            try {
                String url = gateway.baseUrl();

                HttpResponse<String> first = chat(url, false);
                assertThat(first.statusCode()).isEqualTo(200);
                JsonNode answer = Json.parse(first.body());
                String content = answer.path("choices").path(0).path("message").path("content").asText();
                assertThat(content).isNotBlank();
                long promptTokens = answer.path("usage").path("prompt_tokens").asLong();
                assertThat(promptTokens).isPositive();
                assertThat(answer.path("usage").path("completion_tokens").asLong()).isEqualTo(MAX_TOKENS);
                BigDecimal expectedCost = cost(promptTokens, MAX_TOKENS);
                assertThat(new BigDecimal(first.headers().firstValue("x-tollgate-cost-usd").orElseThrow()))
                        .isEqualByComparingTo(expectedCost);

                HttpResponse<String> streamed = chat(url, true);
                assertThat(streamed.statusCode()).isEqualTo(200);
                assertThat(streamed.headers().firstValue("content-type").orElseThrow()).startsWith("text/event-stream");
                // the sandbox answers a prompt the same way every time: the stream's pieces make the same text
                assertThat(streamedText(streamed.body())).isEqualTo(content);
                assertThat(streamed.body().strip()).endsWith("data: [DONE]");

                HttpResponse<String> third = chat(url, false);
                assertThat(Json.parse(third.body()).path("choices").path(0).path("message").path("content").asText())
                        .isEqualTo(content);

                // three calls, one after another, over one kept-alive provider connection
                assertThat(upstream.accepted.get()).isEqualTo(1);

                ledger.flush();
                for (HttpResponse<String> call : List.of(first, streamed, third)) {
                    String id = call.headers().firstValue("x-tollgate-request-id").orElseThrow();
                    JsonNode row = admin(url, "/admin/requests/" + id).path("request");
                    assertThat(row.path("status").asInt()).isEqualTo(200);
                    assertThat(row.path("requested_model").asText()).isEqualTo("gpt-4o-mini");
                    assertThat(row.path("input_tokens").asLong()).isEqualTo(promptTokens);
                    assertThat(row.path("output_tokens").asLong()).isEqualTo(MAX_TOKENS);
                    assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(expectedCost);
                }
            } finally {
                gateway.close();
                services.observability().close();
            }
        } finally {
            vertx.close().await();
        }
    }

    private HttpResponse<String> chat(String url, boolean stream) throws IOException, InterruptedException {
        String body = """
                {"model":"gpt-4o-mini","max_tokens":%d,"stream":%s,"messages":[{"role":"user","content":"%s"}]}"""
                .formatted(MAX_TOKENS, stream, PROMPT);
        return http.send(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode admin(String url, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url + path))
                .header("authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Json.parse(response.body());
    }

    /** The content deltas of an OpenAI stream, joined. */
    private static String streamedText(String sse) throws IOException {
        StringBuilder text = new StringBuilder();
        for (String line : sse.split("\n")) {
            if (!line.startsWith("data: {")) continue;
            JsonNode delta = Json.parse(line.substring(6)).path("choices").path(0).path("delta").path("content");
            if (delta.isTextual()) text.append(delta.asText());
        }
        return text.toString();
    }

    private static BigDecimal cost(long inputTokens, long outputTokens) {
        return INPUT_PER_MILLION.multiply(BigDecimal.valueOf(inputTokens))
                .add(OUTPUT_PER_MILLION.multiply(BigDecimal.valueOf(outputTokens)))
                .movePointLeft(6);
    }

    /** Passes each connection through to the sandbox and counts them: the provider connections the gateway opened. */
    private static final class CountingRelay implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> sockets = new ArrayList<>();
        final AtomicInteger accepted = new AtomicInteger();

        CountingRelay(int target) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        Socket client = server.accept();
                        accepted.incrementAndGet();
                        Socket provider = new Socket(InetAddress.getLoopbackAddress(), target);
                        synchronized (sockets) {
                            sockets.add(client);
                            sockets.add(provider);
                        }
                        pipe(client, provider);
                        pipe(provider, client);
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        private static void pipe(Socket from, Socket to) {
            Thread.ofVirtual().start(() -> {
                try {
                    from.getInputStream().transferTo(to.getOutputStream());
                    to.shutdownOutput(); // a close passes through as a close
                } catch (IOException closed) {
                    // the other side went away
                }
            });
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (sockets) {
                for (Socket s : sockets) s.close();
            }
        }
    }
}
