package dev.tollgate.gateway.e2e;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.models.messages.MessageCreateParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A provider that reads a whole request on a kept-alive connection and then resets it, without a byte of answer. It
 * may be generating (a paid call), so the gateway does not send the request again on its own: the attempt failed, the
 * route's retries and fallbacks decide, and with none left the client gets a clean error in its own format. Before,
 * the gateway sent it once more on a fresh connection even with {@code retries: 0}: a second paid generation.
 */
class ResetAfterRequestTest {

    private static final String OPENAI_ANSWER = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,\
            "message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],\
            "usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}""";
    private static final String ANTHROPIC_ANSWER = """
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"hi"}],\
            "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}""";

    @TempDir
    static Path data;
    static ResettingProvider provider;
    static TestBed bed;
    static OpenAIClient openai;
    static AnthropicClient anthropic;

    @BeforeAll
    static void start() throws Exception {
        provider = new ResettingProvider();
        String url = "http://127.0.0.1:" + provider.server.getLocalPort();
        bed = new TestBed(data, """
                routes:
                  - {name: resetting-then-sandbox, retries: 0, deployments: [{provider: resetting, model: gpt-4o-mini}, {provider: sandbox, model: gpt-4o-mini}]}
                  - {name: resetting-only, retries: 0, deployments: [{provider: resetting, model: gpt-4o-mini}]}
                """, """
                  resetting: {type: openai, base_url: "%s/v1"}
                  resetting-anthropic: {type: anthropic, base_url: "%s"}
                """.formatted(url, url), """
                  - {name: resetting-model, provider: resetting, model: gpt-4o-mini}
                  - {name: resetting-claude, provider: resetting-anthropic, model: claude-haiku-4-5}
                """);
        openai = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey(TestBed.KEY).maxRetries(0).build();
        anthropic = AnthropicOkHttpClient.builder().baseUrl(bed.url()).apiKey(TestBed.KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() throws IOException {
        bed.close();
        provider.server.close();
    }

    private static ChatCompletionCreateParams chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Say hi").build();
    }

    @Test
    void anOpenAiClientGetsOneCallAndACleanErrorInItsFormat() {
        var error = firstFailure(OpenAIServiceException.class, () -> openai.chat().completions().create(chat("resetting-model")));
        assertThat(error.statusCode()).isEqualTo(502);
        assertThat(error.type()).hasValue("api_error");
        assertThat(error.getMessage()).contains("provider 'resetting'");
    }

    @Test
    void anAnthropicClientGetsOneCallAndACleanErrorInItsFormat() {
        var error = firstFailure(AnthropicServiceException.class, () -> anthropic.messages().create(
                MessageCreateParams.builder().model("resetting-claude").maxTokens(16).addUserMessage("Say hi").build()));
        assertThat(error.statusCode()).isEqualTo(502);
        assertThat(error.body().toString()).contains("api_error").contains("provider 'resetting-anthropic'");
    }

    @Test
    void aRouteWithAFallbackCountsTheResetAsAFailedAttemptAndFallsBack() throws Exception {
        int before = provider.requests.get();
        int calls = 0;
        List<JsonNode> rows = List.of();
        while (rows.size() < 2 && calls < 3) {
            calls++;
            HttpResponseFor<ChatCompletion> response = openai.chat().completions().withRawResponse().create(chat("resetting-then-sandbox"));
            assertThat(response.statusCode()).isEqualTo(200);
            rows = rows(response.headers().values("x-tollgate-request-id").getFirst());
        }
        assertThat(provider.requests.get() - before).as("requests the provider read").isEqualTo(calls);
        assertThat(rows).as("a call on a reused connection").hasSize(2);
        assertThat(rows.get(0).path("provider").asText()).isEqualTo("resetting");
        assertThat(rows.get(0).path("attempt_reason").asText()).isEqualTo("connection_failed");
        assertThat(rows.get(0).path("status").asInt()).isEqualTo(502);
        assertThat(rows.get(1).path("provider").asText()).isEqualTo("sandbox");
        assertThat(rows.get(1).path("status").asInt()).isEqualTo(200);
    }

    @Test
    void aRouteWithNoRetriesAndNoFallbackAnswersTheFailure() {
        var error = firstFailure(OpenAIServiceException.class, () -> openai.chat().completions().create(chat("resetting-only")));
        assertThat(error.statusCode()).isEqualTo(502);
    }

    /**
     * Calls until one fails, which takes three at most (each gateway event loop has connections of its own, so one of
     * three goes on a kept-alive one); the provider must have read each call once.
     */
    private static <E extends RuntimeException> E firstFailure(Class<E> type, Runnable call) {
        int before = provider.requests.get();
        for (int calls = 1; calls <= 3; calls++) {
            try {
                call.run();
            } catch (RuntimeException e) {
                assertThat(provider.requests.get() - before).as("requests the provider read").isEqualTo(calls);
                assertThat(e).isInstanceOf(type);
                return type.cast(e);
            }
        }
        assertThat(provider.requests.get() - before).as("requests the provider read").isEqualTo(3);
        throw new AssertionError("no call went on a kept-alive connection");
    }

    private static List<JsonNode> rows(String id) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode row : bed.admin("/admin/requests?limit=200").path("requests")) {
            if (row.path("request_id").asText().equals(id)) out.add(row);
        }
        out.sort(java.util.Comparator.comparingInt(r -> r.path("attempt").asInt(1)));
        return out;
    }

    /** Answers the first request on each connection; reads the next one whole, then resets the connection. */
    static final class ResettingProvider {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final AtomicInteger requests = new AtomicInteger();

        ResettingProvider() throws IOException {
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        Thread.ofVirtual().start(() -> serve(socket));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        private void serve(Socket socket) {
            try (socket) {
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                String first = readRequest(in);
                if (first == null) return;
                requests.incrementAndGet();
                byte[] body = (first.startsWith("POST /v1/messages") ? ANTHROPIC_ANSWER : OPENAI_ANSWER).getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                if (readRequest(in) == null) return;
                requests.incrementAndGet();
                socket.setSoLinger(true, 0); // closing now sends a reset
            } catch (IOException ignored) {
                // the gateway went away
            }
        }

        /** One whole request, head and content-length body; null at the end of the stream. */
        private static String readRequest(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1) {
                head.write(b);
                if (head.size() >= 4 && head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) break;
            }
            if (b == -1) return null;
            String text = head.toString(StandardCharsets.ISO_8859_1);
            int length = 0;
            for (String line : text.split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
            }
            in.readNBytes(length);
            return text;
        }
    }
}
