package dev.tollgate.gateway.e2e;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.SseException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A provider that fails in-band after its first content (Anthropic's {@code event: error} with {@code
 * overloaded_error} after a text delta; an OpenAI {@code {"error":…}} chunk after a content chunk, both as their
 * documentation shows): nothing can fall back any more, the client's stream carries the provider's error, translated
 * to its own format, and ends there. Before, the gateway then added an error of its own, "the provider closed the stream
 * before it was complete" ({@code api_error}): a second error in every format, and for a Responses client one in Chat
 * Completions' shape ({@code data: {"error":…}}, no {@code event: error}), which the OpenAI SDKs raise in place of the
 * provider's {@code overloaded_error}. The ledger kept that text instead of the provider's error.
 */
class InBandErrorAfterContentTest {

    private static final String ANTHROPIC_STREAM = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-haiku-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

            event: ping
            data: {"type": "ping"}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

            event: error
            data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

            """;
    private static final String OPENAI_STREAM = """
            data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}

            data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}

            data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}

            """;

    @TempDir
    static Path data;
    static HttpServer provider;
    static TestBed bed;
    static OpenAIClient openai;
    static AnthropicClient anthropic;

    @BeforeAll
    static void start() throws Exception {
        provider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        provider.createContext("/", InBandErrorAfterContentTest::answer);
        provider.start();
        String url = "http://127.0.0.1:" + provider.getAddress().getPort();
        bed = new TestBed(data, "", """
                  breaking-anthropic: {type: anthropic, base_url: "%s"}
                  breaking-openai: {type: openai, base_url: "%s/v1", responses: chat}
                """.formatted(url, url), """
                  - {name: claude-breaks, provider: breaking-anthropic, model: claude-haiku-4-5}
                  - {name: gpt-breaks, provider: breaking-openai, model: gpt-4o-mini}
                """);
        openai = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey(TestBed.KEY).maxRetries(0).build();
        anthropic = AnthropicOkHttpClient.builder().baseUrl(bed.url()).apiKey(TestBed.KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        bed.close();
        provider.stop(0);
    }

    /** Anthropic's path gets Anthropic's broken stream, OpenAI's Chat Completions path OpenAI's; both end after the error. */
    private static void answer(HttpExchange exchange) throws IOException {
        exchange.getRequestBody().readAllBytes();
        boolean anthropicDialect = exchange.getRequestURI().getPath().equals("/v1/messages");
        exchange.getResponseHeaders().set("content-type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write((anthropicDialect ? ANTHROPIC_STREAM : OPENAI_STREAM).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static HttpResponse<String> stream(String path, String model) throws Exception {
        String body = path.equals("/v1/responses")
                ? "{\"model\":\"" + model + "\",\"stream\":true,\"input\":\"Say hi\"}"
                : "{\"model\":\"" + model + "\",\"stream\":true,\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}";
        return bed.post(path, body, "authorization", "Bearer " + TestBed.KEY, "anthropic-version", "2023-06-01");
    }

    /** The data of each event that is an error in any of the three formats. */
    private static List<String> errors(String stream) {
        List<String> found = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^(?:event: error\\n)?data: (\\{\"(?:type\":\\s*\"error|error\").*)$").matcher(stream);
        while (m.find()) found.add(m.group(1));
        return found;
    }

    private static JsonNode ledgerRow(HttpResponse<String> response) throws Exception {
        String id = response.headers().firstValue("x-tollgate-request-id").orElseThrow();
        return bed.admin("/admin/requests/" + id).path("request");
    }

    @Test
    void anthropicsOverloadedErrorAfterContentIsTheOneErrorEachFormatSees() throws Exception {
        for (String path : List.of("/v1/messages", "/v1/chat/completions", "/v1/responses")) {
            HttpResponse<String> response = stream(path, "claude-breaks");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).as(path).contains("Hello");
            List<String> errors = errors(response.body());
            assertThat(errors).as(path + ": " + response.body()).hasSize(1);
            assertThat(errors.getFirst()).as(path).contains("overloaded_error").contains("Overloaded");
            assertThat(response.body()).as(path).doesNotContain("closed the stream before it was complete");
            if (path.equals("/v1/responses")) assertThat(response.body()).contains("event: error\ndata: {\"type\":\"error\"");

            JsonNode row = ledgerRow(response);
            assertThat(row.path("error").asText()).as(path).contains("Overloaded").doesNotContain("closed the stream");
            // billed as the documented Anthropic usage says so far: 25 input tokens, and the output counted locally
            assertThat(row.path("input_tokens").asLong()).isEqualTo(25);
        }
    }

    @Test
    void openAisServerErrorChunkAfterContentIsTheOneErrorEachFormatSees() throws Exception {
        for (String path : List.of("/v1/chat/completions", "/v1/messages", "/v1/responses")) {
            HttpResponse<String> response = stream(path, "gpt-breaks");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).as(path).contains("Hello");
            List<String> errors = errors(response.body());
            assertThat(errors).as(path + ": " + response.body()).hasSize(1);
            assertThat(errors.getFirst()).as(path).contains("The server had an error while processing your request");
            assertThat(response.body()).as(path).doesNotContain("closed the stream before it was complete");

            JsonNode row = ledgerRow(response);
            assertThat(row.path("error").asText()).as(path).contains("The server had an error").doesNotContain("closed the stream");
        }
    }

    @Test
    void theSdksRaiseTheProvidersErrorType() {
        var anthropicError = org.assertj.core.api.Assertions.catchThrowable(() -> {
            try (StreamResponse<RawMessageStreamEvent> events = anthropic.messages().createStreaming(
                    MessageCreateParams.builder().model("claude-breaks").maxTokens(16).addUserMessage("Say hi").build())) {
                events.stream().forEach(event -> { });
            }
        });
        assertThat(anthropicError).isNotNull();
        assertThat(anthropicError.getMessage()).contains("overloaded_error");

        var openAiError = org.assertj.core.api.Assertions.catchThrowable(() -> {
            try (com.openai.core.http.StreamResponse<ChatCompletionChunk> chunks = openai.chat().completions().createStreaming(
                    ChatCompletionCreateParams.builder().model("gpt-breaks").addUserMessage("Say hi").build())) {
                chunks.stream().forEach(chunk -> { });
            }
        });
        assertThat(openAiError).isInstanceOfAny(SseException.class, OpenAIServiceException.class);
        assertThat(openAiError.getMessage()).contains("The server had an error");
    }
}
