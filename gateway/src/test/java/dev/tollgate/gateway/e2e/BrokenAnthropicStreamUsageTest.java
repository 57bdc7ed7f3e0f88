package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.SandboxGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An Anthropic stream that breaks off after its first content: {@code message_start} already reported the input side
 * (input, cache reads, cache writes), which Anthropic bills whether or not the answer arrives. The ledger row keeps
 * those reported counts (only the output is counted locally, marked estimated), through the passthrough and both
 * translations. Before, the whole row was a local estimate of the prompt's text (a few tokens, no cache reads or
 * writes), billing a fraction of what the provider charges.
 */
class BrokenAnthropicStreamUsageTest {

    static Path data;
    static Vertx vertx;
    static HttpServer provider;
    static SandboxGateway bed;

    @BeforeAll
    static void start() throws Exception {
        data = Files.createTempDirectory("broken-anthropic");
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer().requestHandler(r -> r.body().onSuccess(body -> breakOff(r))).listen(0).await();
        bed = new SandboxGateway(data, sandbox -> """
                admin: {token: admin}
                providers:
                  anthropic: {type: anthropic, base_url: "http://127.0.0.1:%d"}
                models:
                  - {name: claude-haiku-4-5, provider: anthropic}
                keys:
                  - {key: tg-broken, name: broken}
                """.formatted(provider.actualPort()));
    }

    @AfterAll
    static void stop() {
        bed.close();
        vertx.close().await();
    }

    @ParameterizedTest(name = "{0} client")
    @CsvSource({"/v1/messages", "/v1/chat/completions", "/v1/responses"})
    void theInputSideMessageStartReportedIsBilled(String path) throws Exception {
        HttpResponse<String> answer = bed.http.send(request(path), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).contains("Hel").contains("error"); // the first content, then the stream's error
        bed.ledger.flush();
        JsonNode row = row(answer.headers().firstValue("x-tollgate-request-id").orElseThrow());
        assertThat(row.path("estimated").asBoolean()).as(row.toString()).isTrue();
        // Anthropic's input_tokens (20) excludes cache reads (1000) and writes (100); the ledger's input is all three
        assertThat(row.path("input_tokens").asLong()).as(row.toString()).isEqualTo(1120);
        assertThat(row.path("cached_input_tokens").asLong()).isEqualTo(1000);
        assertThat(row.path("cache_write_5m_tokens").asLong()).isEqualTo(100);
        long output = row.path("output_tokens").asLong();
        assertThat(output).as("the content before the break, at least what message_start said").isPositive();
        // Claude Haiku 4.5 list prices per million: input $1, cache read $0.10, 5-minute cache write $1.25, output $5
        BigDecimal expected = new BigDecimal("0.000020").add(new BigDecimal("0.000100")).add(new BigDecimal("0.000125"))
                .add(new BigDecimal("0.000005").multiply(BigDecimal.valueOf(output)));
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(expected);
    }

    private static JsonNode row(String requestId) throws Exception {
        for (JsonNode r : bed.admin("/admin/requests?limit=100").path("requests")) {
            if (r.path("request_id").asText().equals(requestId)) return r;
        }
        throw new AssertionError("no ledger row for " + requestId);
    }

    private static HttpRequest request(String path) {
        String body = path.equals("/v1/responses")
                ? "{\"model\":\"claude-haiku-4-5\",\"max_output_tokens\":50,\"stream\":true,\"input\":\"hi\"}"
                : "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        return HttpRequest.newBuilder(URI.create(bed.url() + path))
                .header("authorization", "Bearer tg-broken").header("x-api-key", "tg-broken")
                .header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** message_start with the input side's usage, the first content, then the connection drops. */
    private static void breakOff(HttpServerRequest r) {
        r.response().setChunked(true).putHeader("content-type", "text/event-stream");
        r.response().write(sse("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                + "\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\",\"content\":[],\"stop_reason\":null,"
                + "\"usage\":{\"input_tokens\":20,\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":1000,"
                + "\"cache_creation\":{\"ephemeral_5m_input_tokens\":100,\"ephemeral_1h_input_tokens\":0},\"output_tokens\":1}}}")
                + sse("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
                + sse("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello there\"}}"))
                .onComplete(written -> vertx.setTimer(50, t -> r.connection().close()));
    }

    private static String sse(String event, String data) {
        return "event: " + event + "\ndata: " + data + "\n\n";
    }
}
