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

    /** A Responses stream that fails after its first text, as the Responses API reference shows the events. */
    private static final String RESPONSES_STREAM = """
            event: response.created
            data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654","object":"response","created_at":1741290958,"status":"in_progress","error":null,"model":"gpt-4o-mini","output":[],"usage":null}}

            event: response.in_progress
            data: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654","object":"response","created_at":1741290958,"status":"in_progress","error":null,"model":"gpt-4o-mini","output":[],"usage":null}}

            event: response.output_item.added
            data: {"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","type":"message","status":"in_progress","role":"assistant","content":[]}}

            event: response.content_part.added
            data: {"type":"response.content_part.added","sequence_number":3,"item_id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}

            event: response.output_text.delta
            data: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","output_index":0,"content_index":0,"delta":"Hello"}

            event: response.failed
            data: {"type":"response.failed","sequence_number":5,"response":{"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654","object":"response","created_at":1741290958,"status":"failed","error":{"code":"server_error","message":"The model failed to generate a response."},"model":"gpt-4o-mini","output":[],"usage":null}}

            """;

    static final java.util.concurrent.atomic.AtomicInteger responsesCalls = new java.util.concurrent.atomic.AtomicInteger();

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
        // the response cache is on: a stream that failed must not be stored and served again
        bed = new TestBed(data, "cache: {enabled: true}", """
                  breaking-anthropic: {type: anthropic, base_url: "%s"}
                  breaking-openai: {type: openai, base_url: "%s/v1", responses: chat}
                  failing-responses: {type: openai, base_url: "%s/v1"}
                """.formatted(url, url, url), """
                  - {name: claude-breaks, provider: breaking-anthropic, model: claude-haiku-4-5}
                  - {name: gpt-breaks, provider: breaking-openai, model: gpt-4o-mini}
                  - {name: responses-fails, provider: failing-responses, model: gpt-4o-mini}
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
        String path = exchange.getRequestURI().getPath();
        if (path.equals("/v1/responses")) responsesCalls.incrementAndGet();
        String stream = switch (path) {
            case "/v1/messages" -> ANTHROPIC_STREAM;
            case "/v1/responses" -> RESPONSES_STREAM;
            default -> OPENAI_STREAM;
        };
        exchange.getResponseHeaders().set("content-type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(stream.getBytes(StandardCharsets.UTF_8));
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

    /** A stream that failed after its first text: 200, the text, one error event and no error of the gateway's own; that event. */
    private static String theOneErrorAfterContent(String path, HttpResponse<String> response) {
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).as(path).contains("Hello").doesNotContain("closed the stream before it was complete");
        List<String> errors = errors(response.body());
        assertThat(errors).as(path + ": " + response.body()).hasSize(1);
        return errors.getFirst();
    }

    private static JsonNode ledgerRow(HttpResponse<String> response) throws Exception {
        String id = response.headers().firstValue("x-tollgate-request-id").orElseThrow();
        return bed.admin("/admin/requests/" + id).path("request");
    }

    @Test
    void anthropicsOverloadedErrorAfterContentIsTheOneErrorEachFormatSees() throws Exception {
        for (String path : List.of("/v1/messages", "/v1/chat/completions", "/v1/responses")) {
            HttpResponse<String> response = stream(path, "claude-breaks");
            assertThat(theOneErrorAfterContent(path, response)).contains("overloaded_error").contains("Overloaded");
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
            assertThat(theOneErrorAfterContent(path, response)).contains("The server had an error while processing your request");

            JsonNode row = ledgerRow(response);
            assertThat(row.path("error").asText()).as(path).contains("The server had an error").doesNotContain("closed the stream");
        }
    }

    /**
     * A Responses stream that ends in {@code response.failed} after its first text failed: the client has the event as
     * the provider sent it, the ledger keeps the provider's error, and the cache does not keep the failure to serve it
     * again. Before, the relay took {@code response.failed} for a proper end: the row had no error and the next
     * identical request got the failed stream from the cache without reaching the provider.
     */
    @Test
    void aResponsesStreamThatFailsAfterContentIsRecordedAsFailedAndNotCached() throws Exception {
        int before = responsesCalls.get();
        HttpResponse<String> first = stream("/v1/responses", "responses-fails");
        assertThat(first.body()).contains("\"delta\":\"Hello\"").contains("event: response.failed")
                .doesNotContain("closed the stream before it was complete");
        assertThat(ledgerRow(first).path("error").asText()).contains("The model failed to generate a response.");

        HttpResponse<String> again = stream("/v1/responses", "responses-fails");
        assertThat(again.body()).contains("event: response.failed");
        assertThat(again.headers().firstValue("x-tollgate-cache")).isNotEqualTo(java.util.Optional.of("hit"));
        assertThat(responsesCalls.get() - before).isEqualTo(2);
        assertThat(ledgerRow(again).path("error").asText()).contains("The model failed to generate a response.");
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
