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
 * translations; so does one that ends without a usage count in its {@code message_delta} (whose message_start's
 * placeholder {@code output_tokens: 1} was billed as the answer). Before, a broken-off stream's row was a local estimate
 * of the prompt's text (a few tokens, no cache reads or writes), billing a fraction of what the provider charges.
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
                  anthropic: {type: anthropic, base_url: "http://127.0.0.1:%1$d"}
                  anthropic-quiet: {type: anthropic, base_url: "http://127.0.0.1:%1$d", headers: {x-end: stop-without-usage}}
                  anthropic-slow: {type: anthropic, base_url: "http://127.0.0.1:%1$d", headers: {x-end: slow-first-content}}
                models:
                  - {name: claude-haiku-4-5, provider: anthropic}
                  - {name: claude-quiet, provider: anthropic-quiet, model: claude-haiku-4-5}
                  - {name: claude-slow, provider: anthropic-slow, model: claude-haiku-4-5}
                keys:
                  - {key: tg-broken, name: broken}
                """.formatted(provider.actualPort()));
    }

    @AfterAll
    static void stop() {
        bed.close();
        vertx.close().await();
    }

    @ParameterizedTest(name = "{0} client, {1}")
    @CsvSource({"/v1/messages, claude-haiku-4-5", "/v1/chat/completions, claude-haiku-4-5", "/v1/responses, claude-haiku-4-5",
            // a stream that ends properly but whose message_delta carries no usage: message_start's output_tokens (1) is
            // a placeholder, not the answer's count
            "/v1/messages, claude-quiet", "/v1/chat/completions, claude-quiet", "/v1/responses, claude-quiet"})
    void theInputSideMessageStartReportedIsBilled(String path, String model) throws Exception {
        HttpResponse<String> answer = bed.http.send(request(path, model), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).contains("Hel"); // the first content (then the stream's error, where it broke off)
        if (model.equals("claude-haiku-4-5")) assertThat(answer.body()).contains("error");
        bed.ledger.flush();
        JsonNode row = row(answer.headers().firstValue("x-tollgate-request-id").orElseThrow());
        assertThat(row.path("estimated").asBoolean()).as(row.toString()).isTrue();
        // Anthropic's input_tokens (20) excludes cache reads (1000) and writes (100); the ledger's input is all three
        assertThat(row.path("input_tokens").asLong()).as(row.toString()).isEqualTo(1120);
        assertThat(row.path("cached_input_tokens").asLong()).isEqualTo(1000);
        assertThat(row.path("cache_write_5m_tokens").asLong()).isEqualTo(100);
        long output = row.path("output_tokens").asLong();
        assertThat(output).as("'Hello there', counted locally").isGreaterThan(1);
        // Claude Haiku 4.5 list prices per million: input $1, cache read $0.10, 5-minute cache write $1.25, output $5
        BigDecimal expected = new BigDecimal("0.000020").add(new BigDecimal("0.000100")).add(new BigDecimal("0.000125"))
                .add(new BigDecimal("0.000005").multiply(BigDecimal.valueOf(output)));
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(expected);
    }

    /**
     * The client hangs up after the provider's message_start but before its first content, while the gateway holds the
     * opening events (so that a refusal could still fall back): the prompt was taken in and is billed as message_start
     * reported it. Before, the held message_start never reached the relay and the row was a local count of the
     * prompt's text (a few tokens at the input rate, no cache reads or writes).
     */
    @ParameterizedTest(name = "{0} client")
    @CsvSource({"/v1/messages", "/v1/chat/completions", "/v1/responses"})
    void aClientThatHangsUpBeforeTheFirstContentIsBilledWhatMessageStartReported(String path) throws Exception {
        String body = body(path, "claude-slow");
        URI url = URI.create(bed.url());
        int before = slowRows().size();
        try (java.net.Socket socket = new java.net.Socket(url.getHost(), url.getPort())) {
            byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer tg-broken\r\n"
                    + "x-api-key: tg-broken\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
                    + "content-length: " + bytes.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            Thread.sleep(1000); // message_start came at once; the first content comes after 5 s
        }
        JsonNode row = null;
        for (int i = 0; i < 200 && row == null; i++) {
            bed.ledger.flush();
            java.util.List<JsonNode> rows = slowRows();
            if (rows.size() > before) row = rows.getFirst(); // newest first
            else Thread.sleep(50);
        }
        assertThat(row).as("the hung-up request's ledger row").isNotNull();
        assertThat(row.path("status").asInt()).as(row.toString()).isEqualTo(499);
        assertThat(row.path("input_tokens").asLong()).as(row.toString()).isEqualTo(1120);
        assertThat(row.path("cached_input_tokens").asLong()).isEqualTo(1000);
        assertThat(row.path("cache_write_5m_tokens").asLong()).isEqualTo(100);
        // $1 input, $0.10 cache read, $1.25 5-minute cache write per million; output as counted (nothing was generated)
        BigDecimal expected = new BigDecimal("0.000020").add(new BigDecimal("0.000100")).add(new BigDecimal("0.000125"))
                .add(new BigDecimal("0.000005").multiply(BigDecimal.valueOf(row.path("output_tokens").asLong())));
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(expected);
    }

    /** The ledger rows of requests for claude-slow, newest first. */
    private static java.util.List<JsonNode> slowRows() throws Exception {
        java.util.List<JsonNode> rows = new java.util.ArrayList<>();
        for (JsonNode row : bed.admin("/admin/requests?limit=1000").path("requests")) {
            if (row.path("requested_model").asText().equals("claude-slow")) rows.add(row);
        }
        return rows;
    }

    /** The request's row as the admin API's lookup gives it. */
    private static JsonNode row(String requestId) throws Exception {
        return bed.admin("/admin/requests/" + requestId).path("request");
    }

    private static String body(String path, String model) {
        return path.equals("/v1/responses")
                ? "{\"model\":\"" + model + "\",\"max_output_tokens\":50,\"stream\":true,\"input\":\"hi\"}"
                : "{\"model\":\"" + model + "\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    private static HttpRequest request(String path, String model) {
        String body = body(path, model);
        return HttpRequest.newBuilder(URI.create(bed.url() + path))
                .header("authorization", "Bearer tg-broken").header("x-api-key", "tg-broken")
                .header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /**
     * message_start with the input side's usage, the first content, then the connection drops; or, with {@code x-end:
     * stop-without-usage}, the stream ends properly with a message_delta that carries no usage.
     */
    private static void breakOff(HttpServerRequest r) {
        boolean stop = "stop-without-usage".equals(r.getHeader("x-end"));
        if ("slow-first-content".equals(r.getHeader("x-end"))) {
            slowFirstContent(r);
            return;
        }
        r.response().setChunked(true).putHeader("content-type", "text/event-stream");
        r.response().write(sse("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                + "\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\",\"content\":[],\"stop_reason\":null,"
                + "\"usage\":{\"input_tokens\":20,\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":1000,"
                + "\"cache_creation\":{\"ephemeral_5m_input_tokens\":100,\"ephemeral_1h_input_tokens\":0},\"output_tokens\":1}}}")
                + sse("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
                + sse("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello there\"}}"))
                .onComplete(written -> vertx.setTimer(50, t -> {
                    if (!stop) {
                        r.connection().close();
                        return;
                    }
                    r.response().end(sse("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
                            + sse("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}}")
                            + sse("message_stop", "{\"type\":\"message_stop\"}"));
                }));
    }

    /** message_start, content_block_start and a ping at once; the first content only 5 s later. */
    private static void slowFirstContent(HttpServerRequest r) {
        r.response().setChunked(true).putHeader("content-type", "text/event-stream");
        r.response().write(sse("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"type\":\"message\","
                + "\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\",\"content\":[],\"stop_reason\":null,"
                + "\"usage\":{\"input_tokens\":20,\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":1000,"
                + "\"cache_creation\":{\"ephemeral_5m_input_tokens\":100,\"ephemeral_1h_input_tokens\":0},\"output_tokens\":1}}}")
                + sse("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
                + sse("ping", "{\"type\": \"ping\"}"));
        vertx.setTimer(5000, t -> {
            if (r.response().ended() || r.response().closed()) return;
            r.response().end(sse("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}")
                    + sse("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
                    + sse("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2}}")
                    + sse("message_stop", "{\"type\":\"message_stop\"}"));
        });
    }

    private static String sse(String event, String data) {
        return "event: " + event + "\ndata: " + data + "\n\n";
    }
}
