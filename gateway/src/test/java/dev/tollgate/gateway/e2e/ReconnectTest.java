package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.SandboxGateway;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A model of one deployment whose provider refuses the connection: nothing was sent, so the gateway opens it again
 * (waits doubling from 50 ms) within {@code server.reconnect_within_ms} before the client gets the failure. The case
 * it is for: a provider restarting, or started beside the gateway and listening a moment after it.
 */
class ReconnectTest {

    private static final String CHAT = "{\"model\":\"late-model\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void aProviderThatStartsListeningAMomentLaterAnswersTheWaitingCall(@TempDir Path data) throws Exception {
        int port = closedPort();
        try (var bed = new SandboxGateway(data, sandbox -> config(port, 10_000))) {
            CompletableFuture<HttpResponse<String>> call = bed.http.sendAsync(chat(bed), HttpResponse.BodyHandlers.ofString());
            Thread.sleep(200); // the call's first connection is refused meanwhile (on a machine fast enough to make it by then)
            SandboxServer late = SandboxServer.start(bed.vertx, SandboxConfig.defaults(), port).await();
            try {
                HttpResponse<String> answer = call.get(30, TimeUnit.SECONDS);
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(Json.parse(answer.body()).path("usage").path("completion_tokens").asLong()).isEqualTo(5);
                bed.ledger.flush();
                JsonNode rows = bed.admin("/admin/requests?limit=10").path("requests");
                assertThat(rows).hasSize(1); // the refused connections sent nothing: one call, one row
                assertThat(rows.get(0).path("status").asInt()).isEqualTo(200);
                assertThat(rows.get(0).path("output_tokens").asLong()).isEqualTo(5);
            } finally {
                late.close().await();
            }
        }
    }

    @Test
    void aProviderThatStaysDownFailsOnceTheWindowIsOver(@TempDir Path data) throws Exception {
        int port = closedPort();
        try (var bed = new SandboxGateway(data, sandbox -> config(port, 300))) {
            long started = System.nanoTime();
            HttpResponse<String> answer = bed.http.send(chat(bed), HttpResponse.BodyHandlers.ofString());
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertThat(answer.statusCode()).isEqualTo(502);
            assertThat(Json.parse(answer.body()).path("error").path("message").asText())
                    .contains("could not reach provider 'late'").contains("refused");
            // it waited 50 and 100 ms for two more tries (the next, 200 ms, would end past 300): a floor, whatever the machine
            assertThat(tookMs).isGreaterThanOrEqualTo(150);
        }
    }

    @Test
    void zeroMeansTheRefusalIsTheAnswer(@TempDir Path data) throws Exception {
        int port = closedPort();
        try (var bed = new SandboxGateway(data, sandbox -> config(port, 0))) {
            HttpResponse<String> answer = bed.http.send(chat(bed), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(502);
            assertThat(answer.body()).contains("the connection was refused");
        }
    }

    private static String config(int port, int reconnectWithinMs) {
        return """
                server: {reconnect_within_ms: %d}
                admin: {token: admin}
                providers:
                  late: {type: openai, base_url: "http://127.0.0.1:%d/v1"}
                models:
                  - {name: late-model, provider: late, model: gpt-4o-mini}
                keys:
                  - {key: tg-late, name: late}
                """.formatted(reconnectWithinMs, port);
    }

    private static HttpRequest chat(SandboxGateway bed) {
        return HttpRequest.newBuilder(URI.create(bed.url() + "/v1/chat/completions"))
                .header("authorization", "Bearer tg-late").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build();
    }

    /** A port nothing listens on (free once closed). */
    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
