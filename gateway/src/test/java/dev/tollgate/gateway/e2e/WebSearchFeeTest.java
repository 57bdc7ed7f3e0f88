package dev.tollgate.gateway.e2e;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.SandboxGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
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
 * Anthropic bills its web search server tool per search ($10 per 1,000, on top of the tokens), reported as
 * {@code usage.server_tool_use.web_search_requests}. Before, the ledger priced only the tokens: a call that searched
 * three times was recorded at $0.0015 where Anthropic bills $0.0315, and budgets never saw the difference.
 */
class WebSearchFeeTest {

    static Path data;
    static Vertx vertx;
    static HttpServer provider;
    static SandboxGateway bed;

    // Claude Haiku 4.5's list prices: $1 per million input tokens, $5 per million output tokens; web search $10 per
    // 1,000 searches. 1,000 input tokens, 100 output tokens and 3 searches:
    static final BigDecimal EXPECTED = new BigDecimal("0.001").add(new BigDecimal("0.0005")).add(new BigDecimal("0.03"));

    @BeforeAll
    static void start() throws Exception {
        data = Files.createTempDirectory("web-search-fee");
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer().requestHandler(r -> r.body().onSuccess(body -> answer(r, body.toString())))
                .listen(0).await();
        bed = new SandboxGateway(data, sandbox -> """
                admin: {token: admin}
                providers:
                  anthropic: {type: anthropic, base_url: "http://127.0.0.1:%d"}
                models:
                  - {name: claude-haiku-4-5, provider: anthropic}
                keys:
                  - {key: tg-search, name: search}
                """.formatted(provider.actualPort()));
    }

    @AfterAll
    static void stop() {
        bed.close();
        vertx.close().await();
    }

    @Test
    void theAnthropicSdksCallIsBilledItsSearches() throws Exception {
        AnthropicClient anthropic = AnthropicOkHttpClient.builder().baseUrl(bed.url()).apiKey("tg-search").maxRetries(0).build();
        HttpResponseFor<Message> answer = anthropic.messages().withRawResponse().create(MessageCreateParams.builder()
                .model("claude-haiku-4-5").maxTokens(200).addUserMessage("What happened in the news today?").build());

        Message message = answer.parse();
        assertThat(message.usage().serverToolUse()).isPresent();
        assertThat(message.usage().serverToolUse().orElseThrow().webSearchRequests()).isEqualTo(3);
        String id = answer.headers().values("x-tollgate-request-id").getFirst();
        assertThat(new BigDecimal(answer.headers().values("x-tollgate-cost-usd").getFirst())).isEqualByComparingTo(EXPECTED);
        assertBilled(id);
    }

    @ParameterizedTest(name = "{0}, stream {1}")
    @CsvSource({"/v1/messages, true", "/v1/chat/completions, false", "/v1/chat/completions, true",
            "/v1/responses, false", "/v1/responses, true"})
    void everyClientOfIt(String path, boolean stream) throws Exception {
        String body = path.equals("/v1/responses")
                ? "{\"model\":\"claude-haiku-4-5\",\"max_output_tokens\":200,\"stream\":" + stream + ",\"input\":\"news?\"}"
                : "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":200,\"stream\":" + stream
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"news?\"}]}";
        HttpResponse<String> answer = bed.http.send(HttpRequest.newBuilder(URI.create(bed.url() + path))
                .header("authorization", "Bearer tg-search").header("x-api-key", "tg-search")
                .header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertBilled(answer.headers().firstValue("x-tollgate-request-id").orElseThrow());
    }

    private static void assertBilled(String requestId) throws Exception {
        bed.ledger.flush();
        JsonNode row = bed.admin("/admin/requests/" + requestId).path("request");
        assertThat(row.path("estimated").asBoolean()).as(row.toString()).isFalse();
        assertThat(row.path("input_tokens").asLong()).as(row.toString()).isEqualTo(1000);
        assertThat(row.path("output_tokens").asLong()).isEqualTo(100);
        assertThat(row.path("cost_usd").decimalValue()).as(row.toString()).isEqualByComparingTo(EXPECTED);
    }

    /**
     * As Anthropic answers a call that searched the web three times. A stream's message_start carries the input
     * counted before the searches; its message_delta the cumulative totals, the search results' tokens included.
     */
    private static void answer(HttpServerRequest r, String body) {
        String finalUsage = "{\"input_tokens\":1000,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
                + "\"output_tokens\":100,\"server_tool_use\":{\"web_search_requests\":3}}";
        if (!body.contains("\"stream\":true")) {
            r.response().putHeader("content-type", "application/json").end("{\"id\":\"msg_1\",\"type\":\"message\","
                    + "\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\",\"content\":[{\"type\":\"text\",\"text\":\"Here is the news\"}],"
                    + "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":" + finalUsage + "}");
            return;
        }
        r.response().putHeader("content-type", "text/event-stream").end(
                sse("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                        + "\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\",\"content\":[],\"stop_reason\":null,"
                        + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":400,\"cache_creation_input_tokens\":0,"
                        + "\"cache_read_input_tokens\":0,\"output_tokens\":1}}}")
                + sse("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
                + sse("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Here is the news\"}}")
                + sse("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
                + sse("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                        + "\"usage\":" + finalUsage + "}")
                + sse("message_stop", "{\"type\":\"message_stop\"}"));
    }

    private static String sse(String event, String data) {
        return "event: " + event + "\ndata: " + data + "\n\n";
    }
}
