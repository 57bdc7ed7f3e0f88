package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FaultsAndPacingTest extends SandboxTestSupport {

    private static final String CHAT = json("model", "gpt-4o", "messages",
            List.of(Map.of("role", "user", "content", "Hi")));
    private static final String MESSAGES = json("model", "claude-haiku-4-5", "max_tokens", 100, "messages",
            List.of(Map.of("role", "user", "content", "Hi")));

    @Test
    void rateLimitCarriesRetryAfterInBothDialects() throws Exception {
        HttpResponse<String> openAi = post("/v1/chat/completions", CHAT, "x-sandbox-fault", "429");
        assertThat(openAi.statusCode()).isEqualTo(429);
        assertThat(openAi.headers().firstValue("retry-after")).contains("1");
        assertThat(openAi.headers().firstValue("x-ratelimit-remaining-requests")).contains("0");
        assertThat(parse(openAi.body()).at("/error/code").asText()).isEqualTo("rate_limit_exceeded");

        HttpResponse<String> anthropic = post("/v1/messages", MESSAGES, "x-sandbox-fault", "429");
        assertThat(anthropic.statusCode()).isEqualTo(429);
        assertThat(anthropic.headers().firstValue("retry-after")).contains("1");
        assertThat(parse(anthropic.body()).at("/error/type").asText()).isEqualTo("rate_limit_error");
    }

    @Test
    void serverErrorsInBothDialects() throws Exception {
        HttpResponse<String> openAi = post("/v1/chat/completions", CHAT, "x-sandbox-fault", "500");
        assertThat(openAi.statusCode()).isEqualTo(500);
        JsonNode error = parse(openAi.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("server_error");
        assertThat(error.has("message") && error.has("param") && error.has("code")).isTrue();

        HttpResponse<String> overloaded = post("/v1/messages", MESSAGES, "x-sandbox-fault", "529");
        assertThat(overloaded.statusCode()).isEqualTo(529);
        assertThat(parse(overloaded.body()).at("/error/type").asText()).isEqualTo("overloaded_error");
        HttpResponse<String> apiError = post("/v1/messages", MESSAGES, "x-sandbox-fault", "500");
        assertThat(parse(apiError.body()).at("/error/type").asText()).isEqualTo("api_error");
    }

    @Test
    void aStreamErrorOpensTheStreamThenRefusesInBandBeforeTheFirstContent() throws Exception {
        String messages = json("model", "claude-haiku-4-5", "max_tokens", 100, "stream", true, "messages",
                List.of(Map.of("role", "user", "content", "Hi")));
        HttpResponse<String> anthropic = post("/v1/messages", messages, "x-sandbox-fault", "stream-error");
        assertThat(anthropic.statusCode()).isEqualTo(200);
        assertThat(anthropic.body()).startsWith("event: message_start").doesNotContain("content_block_delta")
                .endsWith("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n");

        String chat = json("model", "gpt-4o", "stream", true, "messages", List.of(Map.of("role", "user", "content", "Hi")));
        HttpResponse<String> openAi = post("/v1/chat/completions", chat, "x-sandbox-fault", "stream-error");
        assertThat(openAi.statusCode()).isEqualTo(200);
        assertThat(openAi.body()).contains("\"role\":\"assistant\"").contains("\"type\":\"server_error\"").doesNotContain("[DONE]");

        HttpResponse<String> garbled = post("/v1/chat/completions", chat, "x-sandbox-fault", "malformed");
        assertThat(garbled.body()).isEqualTo("data: {\"id\": not json\n\n");
    }

    @Test
    void cutClosesANonStreamWithoutAResponse() {
        assertThatThrownBy(() -> post("/v1/chat/completions", CHAT, "x-sandbox-fault", "cut"))
                .isInstanceOf(IOException.class);
    }

    @Test
    void cutStreamStopsAfterAboutHalfTheTokens() throws Exception {
        String body = json("model", "gpt-4o", "stream", true, "stream_options", Map.of("include_usage", true),
                "messages", List.of(Map.of("role", "user", "content", "Hi")));
        // a raw socket: an HTTP client may drop lines it had received once it sees the broken chunked body
        String answer;
        try (Socket socket = new Socket("127.0.0.1", sandbox.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                    + "x-sandbox-fault: cut\r\nx-sandbox-output-tokens: 20\r\ncontent-length: " + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> data = answer.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(answer).doesNotEndWith("0\r\n\r\n"); // the chunked body never ends: the connection was cut
        assertThat(data).hasSize(1 + 10);  // the role chunk, then half of the 20 content chunks
        assertThat(data).noneMatch(d -> d.equals("[DONE]") || d.contains("\"usage\":{"));
    }

    @Test
    void timeoutNeverAnswers() {
        assertThatThrownBy(() -> client.send(request(sandbox, "/v1/messages", MESSAGES, "x-sandbox-fault", "timeout")
                .timeout(Duration.ofMillis(300)).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(HttpTimeoutException.class);
    }

    @Test
    void faultRatesApplyWithoutHeaders() throws Exception {
        SandboxServer failing = start(SandboxConfig.builder().faultRate5xx(1.0).build());
        try {
            HttpResponse<String> response = client.send(request(failing, "/v1/chat/completions", CHAT).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(500);
        } finally {
            failing.close().await();
        }
    }

    @Test
    void latencyHeaderDelaysTheAnswer() throws Exception {
        long start = System.nanoTime();
        post("/v1/chat/completions", CHAT, "x-sandbox-latency-ms", "150");
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(150);
    }

    @Test
    void streamIsPacedByTimeToFirstTokenAndTokensPerSecond() throws Exception {
        SandboxServer paced = start(SandboxConfig.builder()
                .timeToFirstToken(Duration.ofMillis(100)).tokensPerSecond(100).build());
        try {
            long start = System.nanoTime();
            HttpResponse<String> response = client.send(request(paced, "/v1/messages",
                    json("model", "claude-haiku-4-5", "max_tokens", 100, "stream", true, "messages",
                            List.of(Map.of("role", "user", "content", "Hi"))), "x-sandbox-output-tokens", "21").build(),
                    HttpResponse.BodyHandlers.ofString());
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            // 100 ms to the first token, then 20 more at 100 per second: at least 300 ms in all (a floor only: a
            // loaded machine may take longer, whatever the pacing)
            assertThat(elapsedMs).isGreaterThanOrEqualTo(300L);
            List<Event> events = events(response.body());
            assertThat(events.get(events.size() - 1).type()).isEqualTo("message_stop");
        } finally {
            paced.close().await();
        }
    }
}
