package dev.tollgate.gateway.e2e;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.models.messages.MessageCreateParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A provider's own error reaches the client when no other attempt is left: its type, code, param and message, at its
 * status, with its {@code retry-after} and rate-limit headers, in the client's own format also when the deployment
 * speaks the other one. The providers here answer as OpenAI's and Anthropic's documentation shows. Before, a 429
 * became type {@code rate_limit_exceeded} code {@code upstream_rate_limited}, and a 400 lost its code and param.
 * An error answer also carries one request id: the ledger's, in the header each SDK reads; a successful one carries the
 * provider's there, also across formats.
 */
class ProviderErrorsRelayedTest {

    private static final String OPENAI_429 = """
            {"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): \
            Limit 3, Used 3, Requested 1.","type":"requests","param":null,"code":"rate_limit_exceeded"}}""";
    private static final String OPENAI_400 = """
            {"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted \
            in 130000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}""";
    private static final String ANTHROPIC_429 = """
            {"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your \
            per-minute rate limit"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}""";
    private static final String ANTHROPIC_400 = """
            {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 \
            maximum"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fz"}""";

    @TempDir
    static Path data;
    static HttpServer provider;
    static TestBed bed;
    static OpenAIClient openai;
    static AnthropicClient anthropic;

    @BeforeAll
    static void start() throws Exception {
        provider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        provider.createContext("/", ProviderErrorsRelayedTest::answer);
        provider.start();
        String url = "http://127.0.0.1:" + provider.getAddress().getPort();
        bed = new TestBed(data, "", """
                  documented-openai: {type: openai, base_url: "%s/v1"}
                  documented-anthropic: {type: anthropic, base_url: "%s"}
                """.formatted(url, url), """
                  - {name: openai-429, provider: documented-openai, model: rate-limited}
                  - {name: openai-400, provider: documented-openai, model: too-long}
                  - {name: anthropic-429, provider: documented-anthropic, model: rate-limited}
                  - {name: anthropic-400, provider: documented-anthropic, model: too-long}
                  - {name: openai-ok, provider: documented-openai, model: answers}
                  - {name: anthropic-ok, provider: documented-anthropic, model: answers}
                """);
        openai = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey(TestBed.KEY).maxRetries(0).build();
        anthropic = AnthropicOkHttpClient.builder().baseUrl(bed.url()).apiKey(TestBed.KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        bed.close();
        provider.stop(0);
    }

    private static final String OPENAI_OK = """
            {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"answers",\
            "choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"finish_reason":"stop"}],\
            "usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}""";
    private static final String ANTHROPIC_OK = """
            {"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"answers",\
            "content":[{"type":"text","text":"Hi!"}],"stop_reason":"end_turn","stop_sequence":null,\
            "usage":{"input_tokens":9,"output_tokens":2}}""";
    /** The ids the providers give their successful answers, in their own headers. */
    private static final String OPENAI_OK_ID = "req_5c1e0b7a9d3f4e2a", ANTHROPIC_OK_ID = "req_011CSHoEeqs5C35K2UUqR7G0";

    /** The error the request's model asks for (or model "answers": an answer), in the dialect of the path it came to. */
    private static void answer(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        boolean anthropicDialect = exchange.getRequestURI().getPath().equals("/v1/messages");
        boolean limited = body.contains("\"rate-limited\"");
        var headers = exchange.getResponseHeaders();
        headers.set("content-type", "application/json");
        if (body.contains("\"answers\"")) {
            headers.set(anthropicDialect ? "request-id" : "x-request-id", anthropicDialect ? ANTHROPIC_OK_ID : OPENAI_OK_ID);
            byte[] bytes = (anthropicDialect ? ANTHROPIC_OK : OPENAI_OK).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
            return;
        }
        if (limited) {
            headers.set("retry-after", "7");
            if (anthropicDialect) {
                headers.set("request-id", "req_011CSHoEeqs5C35K2UUqR7Fy");
                headers.set("anthropic-ratelimit-requests-remaining", "0");
            } else {
                headers.set("x-request-id", "req_8f2b1c0e9a7d4c3b");
                headers.set("x-ratelimit-remaining-requests", "0");
                headers.set("x-ratelimit-reset-requests", "7s");
            }
        }
        String answer = anthropicDialect ? (limited ? ANTHROPIC_429 : ANTHROPIC_400) : (limited ? OPENAI_429 : OPENAI_400);
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(limited ? 429 : 400, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private static ChatCompletionCreateParams chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Say hi").build();
    }

    private static MessageCreateParams claude(String model) {
        return MessageCreateParams.builder().model(model).maxTokens(16).addUserMessage("Say hi").build();
    }

    private static HttpResponse<String> openAiPost(String model) throws Exception {
        return bed.post("/v1/chat/completions", "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}",
                "authorization", "Bearer " + TestBed.KEY);
    }

    private static HttpResponse<String> anthropicPost(String model) throws Exception {
        return bed.post("/v1/messages", "{\"model\":\"" + model + "\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}",
                "x-api-key", TestBed.KEY, "anthropic-version", "2023-06-01");
    }

    @Test
    void openAisRateLimitReachesTheOpenAiSdkAsItself() {
        var error = catchThrowableOfType(RateLimitException.class, () -> openai.chat().completions().create(chat("openai-429")));
        assertThat(error.statusCode()).isEqualTo(429);
        assertThat(error.type()).hasValue("requests");
        assertThat(error.code()).hasValue("rate_limit_exceeded");
        assertThat(error.getMessage()).contains("Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1.");
        assertThat(error.headers().values("retry-after")).containsExactly("7");
        assertThat(error.headers().values("x-ratelimit-remaining-requests")).containsExactly("0");
        assertThat(error.headers().values("x-ratelimit-reset-requests")).containsExactly("7s");
    }

    @Test
    void anthropicsRateLimitReachesTheAnthropicSdkAsItself() throws Exception {
        var error = catchThrowableOfType(com.anthropic.errors.RateLimitException.class, () -> anthropic.messages().create(claude("anthropic-429")));
        assertThat(error.statusCode()).isEqualTo(429);
        assertThat(error.headers().values("retry-after")).containsExactly("7");
        assertThat(error.headers().values("anthropic-ratelimit-requests-remaining")).containsExactly("0");
        JsonNode body = Json.parse(anthropicPost("anthropic-429").body());
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(body.path("error").path("message").asText()).contains("Number of request tokens has exceeded your per-minute rate limit");
    }

    @Test
    void aRateLimitCrossesFormatsAsTheOtherFormatsRateLimit() throws Exception {
        // an Anthropic client on an OpenAI deployment: Anthropic's type for a 429, OpenAI's message and headers
        var anthropicClient = catchThrowableOfType(com.anthropic.errors.RateLimitException.class,
                () -> anthropic.messages().create(claude("openai-429")));
        assertThat(anthropicClient.headers().values("retry-after")).containsExactly("7");
        JsonNode asAnthropic = Json.parse(anthropicPost("openai-429").body());
        assertThat(asAnthropic.path("error").path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(asAnthropic.path("error").path("message").asText()).contains("Rate limit reached for gpt-4o-mini");

        // an OpenAI client on an Anthropic deployment: Anthropic's own type passes on, there being no OpenAI one for it
        var openAiClient = catchThrowableOfType(RateLimitException.class, () -> openai.chat().completions().create(chat("anthropic-429")));
        assertThat(openAiClient.type()).hasValue("rate_limit_error");
        assertThat(openAiClient.getMessage()).contains("Number of request tokens has exceeded your per-minute rate limit");
        assertThat(openAiClient.headers().values("retry-after")).containsExactly("7");
    }

    @Test
    void aProvidersInvalidRequestKeepsItsCodeParamAndMessage() throws Exception {
        var error = catchThrowableOfType(BadRequestException.class, () -> openai.chat().completions().create(chat("openai-400")));
        assertThat(error.type()).hasValue("invalid_request_error");
        assertThat(error.code()).hasValue("context_length_exceeded");
        assertThat(error.param()).hasValue("messages");
        assertThat(error.getMessage()).contains("This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.");

        var claudeError = catchThrowableOfType(com.anthropic.errors.BadRequestException.class, () -> anthropic.messages().create(claude("anthropic-400")));
        assertThat(claudeError.statusCode()).isEqualTo(400);
        JsonNode body = Json.parse(anthropicPost("anthropic-400").body());
        assertThat(body.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(body.path("error").path("message").asText()).contains("prompt is too long: 210000 tokens > 200000 maximum");

        JsonNode crossed = Json.parse(openAiPost("anthropic-400").body());
        assertThat(crossed.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(crossed.path("error").path("message").asText()).contains("prompt is too long: 210000 tokens > 200000 maximum");
        JsonNode crossedBack = Json.parse(anthropicPost("openai-400").body());
        assertThat(crossedBack.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(crossedBack.path("error").path("message").asText()).contains("maximum context length is 128000 tokens");
    }

    @Test
    void anErrorAnswerCarriesOneRequestIdTheLedgerKnows() throws Exception {
        for (HttpResponse<String> response : List.of(openAiPost("openai-429"), openAiPost("anthropic-400"))) {
            String id = response.headers().firstValue("x-tollgate-request-id").orElseThrow();
            assertThat(response.headers().allValues("x-request-id")).containsExactly(id);
            assertThat(bed.admin("/admin/requests/" + id).path("request").path("request_id").asText()).isEqualTo(id);
        }
        for (HttpResponse<String> response : List.of(anthropicPost("anthropic-429"), anthropicPost("openai-400"))) {
            String id = response.headers().firstValue("x-tollgate-request-id").orElseThrow();
            assertThat(response.headers().allValues("request-id")).containsExactly(id);
            assertThat(Json.parse(response.body()).path("request_id").asText()).isEqualTo(id);
            assertThat(bed.admin("/admin/requests/" + id).path("request").path("request_id").asText()).isEqualTo(id);
        }
        // the provider's own id is kept apart, for a ticket with the provider
        assertThat(openAiPost("openai-429").headers().firstValue("x-tollgate-provider-request-id")).hasValue("req_8f2b1c0e9a7d4c3b");
        assertThat(anthropicPost("anthropic-429").headers().firstValue("x-tollgate-provider-request-id")).hasValue("req_011CSHoEeqs5C35K2UUqR7Fy");
    }

    @Test
    void errorsAnsweredBeforeAnyRequestCarryOneIdToo() throws Exception {
        HttpResponse<String> noRoute = bed.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(bed.url() + "/v1/nothing-here"))
                .header("anthropic-version", "2023-06-01").build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> tooLarge = bed.post("/v1/messages", "{\"model\":\"" + "x".repeat(70_000) + "\"}",
                "x-api-key", TestBed.KEY, "anthropic-version", "2023-06-01");
        for (HttpResponse<String> response : List.of(noRoute, tooLarge)) {
            String id = response.headers().firstValue("x-tollgate-request-id").orElseThrow();
            assertThat(id).startsWith("req_");
            assertThat(response.headers().allValues("request-id")).containsExactly(id);
            assertThat(Json.parse(response.body()).path("request_id").asText()).isEqualTo(id);
        }
        assertThat(noRoute.statusCode()).isEqualTo(404);
        assertThat(tooLarge.statusCode()).isEqualTo(413);
    }

    @Test
    void theSdksReportTheGatewaysRequestId() {
        var openAiError = catchThrowableOfType(RateLimitException.class, () -> openai.chat().completions().create(chat("openai-429")));
        assertThat(openAiError.headers().values("x-request-id")).isEqualTo(openAiError.headers().values("x-tollgate-request-id"));
        var anthropicError = catchThrowableOfType(AnthropicServiceException.class, () -> anthropic.messages().create(claude("anthropic-429")));
        assertThat(anthropicError.headers().values("request-id")).isEqualTo(anthropicError.headers().values("x-tollgate-request-id"));
        assertThat(anthropicError.headers().values("request-id").getFirst()).startsWith("req_");
    }

    @Test
    void aSuccessfulAnswerCarriesTheProvidersIdWhereTheClientsSdkReadsIt() {
        // in its own format, as the provider sent it
        assertThat(openai.chat().completions().withRawResponse().create(chat("openai-ok")).requestId()).hasValue(OPENAI_OK_ID);
        assertThat(anthropic.messages().withRawResponse().create(claude("anthropic-ok")).requestId()).hasValue(ANTHROPIC_OK_ID);
        // across formats: the other SDK's header names the same id (it reported none before)
        assertThat(openai.chat().completions().withRawResponse().create(chat("anthropic-ok")).requestId()).hasValue(ANTHROPIC_OK_ID);
        assertThat(anthropic.messages().withRawResponse().create(claude("openai-ok")).requestId()).hasValue(OPENAI_OK_ID);
    }
}
