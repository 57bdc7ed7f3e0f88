package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.SandboxGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A provider that answers but reports usage the gateway cannot bill (negative counts) or none at all (a compatible
 * server that leaves it out): the client gets the answer, and the call is in the ledger with both sides counted
 * locally and marked estimated, through every dialect and translation, streamed or not. Before, a negative count
 * turned a complete answer into a 502 billed at nothing, and a translated answer without usage was billed zero
 * tokens as if the provider had said so.
 */
class UnbillableUsageTest {

    private static final String ANSWER = "the answer has these words in it";

    static Path data;
    static Vertx vertx;
    static HttpServer provider;
    static SandboxGateway bed;

    @BeforeAll
    static void start() throws Exception {
        data = Files.createTempDirectory("unbillable");
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer().requestHandler(r -> r.body().onSuccess(body ->
                answer(r, body.toString().contains("\"stream\":true")))).listen(0).await();
        String p = "http://127.0.0.1:" + provider.actualPort();
        bed = new SandboxGateway(data, sandbox -> """
                admin: {token: admin}
                providers:
                  openai-negative: {type: openai, base_url: "%1$s/v1", headers: {x-usage: negative}}
                  openai-missing: {type: openai, base_url: "%1$s/v1", headers: {x-usage: missing}}
                  anthropic-negative: {type: anthropic, base_url: "%1$s", headers: {x-usage: negative}}
                  anthropic-missing: {type: anthropic, base_url: "%1$s", headers: {x-usage: missing}}
                models:
                  - {name: gpt-negative, provider: openai-negative, model: gpt-4o-mini}
                  - {name: gpt-missing, provider: openai-missing, model: gpt-4o-mini}
                  - {name: claude-negative, provider: anthropic-negative, model: claude-haiku-4-5}
                  - {name: claude-missing, provider: anthropic-missing, model: claude-haiku-4-5}
                keys:
                  - {key: tg-usage, name: usage}
                """.formatted(p));
    }

    @AfterAll
    static void stop() {
        bed.close();
        vertx.close().await();
    }

    @ParameterizedTest(name = "{0} client, {1}, stream {2}")
    @CsvSource({
            "openai, gpt-negative, false", "openai, gpt-negative, true", "openai, gpt-missing, false", "openai, gpt-missing, true",
            "anthropic, claude-negative, false", "anthropic, claude-negative, true", "anthropic, claude-missing, false",
            "anthropic, claude-missing, true",
            // translated: an Anthropic client on an OpenAI model, an OpenAI client on an Anthropic model
            "anthropic, gpt-negative, false", "anthropic, gpt-negative, true", "anthropic, gpt-missing, false",
            "anthropic, gpt-missing, true", "openai, claude-negative, false", "openai, claude-negative, true",
            "openai, claude-missing, false", "openai, claude-missing, true"})
    void theClientGetsItsAnswerAndTheLedgerAnEstimate(String client, String model, boolean stream) throws Exception {
        String id = "unbillable-" + client + "-" + model + "-" + stream;
        HttpResponse<String> answer = bed.http.send(request(client, model, stream, id), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).contains("the answer has").doesNotContain("\"error\"");
        bed.ledger.flush();
        JsonNode row = row(answer.headers().firstValue("x-tollgate-request-id").orElseThrow());
        assertThat(row.path("status").asInt()).isEqualTo(200);
        assertThat(row.path("error").isNull()).as(row.toString()).isTrue();
        assertThat(row.path("estimated").asBoolean()).as(row.toString()).isTrue();
        assertThat(row.path("input_tokens").asLong()).as("the prompt, counted locally").isPositive();
        assertThat(row.path("output_tokens").asLong()).as("the answer, counted locally").isPositive();
        assertThat(row.path("cost_usd").decimalValue()).isPositive();
    }

    /** The request's row as the admin API's lookup gives it. */
    private static JsonNode row(String requestId) throws Exception {
        return bed.admin("/admin/requests/" + requestId).path("request");
    }

    private static HttpRequest request(String client, String model, boolean stream, String id) {
        String messages = "[{\"role\":\"user\",\"content\":\"say something for " + id + "\"}]";
        boolean openai = client.equals("openai");
        String body = "{\"model\":\"" + model + "\",\"max_tokens\":20,\"stream\":" + stream + ",\"messages\":" + messages + "}";
        return HttpRequest.newBuilder(URI.create(bed.url() + (openai ? "/v1/chat/completions" : "/v1/messages")))
                .header(openai ? "authorization" : "x-api-key", openai ? "Bearer tg-usage" : "tg-usage")
                .header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** The provider: the dialect from the path, and what its usage says from the {@code x-usage} header. */
    private static void answer(HttpServerRequest r, boolean stream) {
        boolean negative = "negative".equals(r.getHeader("x-usage"));
        boolean anthropic = r.path().endsWith("/messages");
        String text = "\"" + ANSWER + "\"";
        String body;
        if (anthropic) {
            String usage = negative ? ",\"usage\":{\"input_tokens\":-12,\"output_tokens\":7}" : "";
            body = stream ? sse("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                    + "\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\",\"content\":[]" + usage + "}}")
                    + sse("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
                    + sse("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":" + text + "}}")
                    + sse("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
                    + sse("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}"
                    + (negative ? ",\"usage\":{\"output_tokens\":7}" : "") + "}")
                    + sse("message_stop", "{\"type\":\"message_stop\"}")
                    : "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\",\"content\":"
                    + "[{\"type\":\"text\",\"text\":" + text + "}],\"stop_reason\":\"end_turn\"" + usage + "}";
        } else {
            String usage = negative ? "\"usage\":{\"prompt_tokens\":-12,\"completion_tokens\":7,\"total_tokens\":-5}" : null;
            body = stream ? "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\",\"choices\":"
                    + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":" + text + "},\"finish_reason\":\"stop\"}]}\n\n"
                    + (usage == null ? "" : "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\",\"choices\":[],"
                    + usage + "}\n\n") + "data: [DONE]\n\n"
                    : "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":"
                    + "{\"role\":\"assistant\",\"content\":" + text + "},\"finish_reason\":\"stop\"}]" + (usage == null ? "" : "," + usage) + "}";
        }
        r.response().putHeader("content-type", stream ? "text/event-stream" : "application/json").end(body);
    }

    private static String sse(String event, String data) {
        return "event: " + event + "\ndata: " + data + "\n\n";
    }
}
