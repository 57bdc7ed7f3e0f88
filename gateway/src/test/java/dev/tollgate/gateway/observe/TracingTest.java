package dev.tollgate.gateway.observe;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One GenAI span per request through the real gateway: in memory, and exported over OTLP/HTTP to a local receiver. */
class TracingTest {

    @TempDir
    Path data;

    /** The in-process sandbox counts tokens; load the encoding before the gateway's 1.5 s upstream timeout runs. */
    @org.junit.jupiter.api.BeforeAll
    static void loadTokenizer() {
        dev.tollgate.core.tokens.TokenCounter.forModel("gpt-4o-mini").count("warm up");
    }

    static String str(SpanData span, String key) {
        return span.getAttributes().get(AttributeKey.stringKey(key));
    }

    static Long num(SpanData span, String key) {
        return span.getAttributes().get(AttributeKey.longKey(key));
    }

    static List<SpanData> await(InMemorySpanExporter exporter, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (exporter.getFinishedSpanItems().size() < count && System.nanoTime() < deadline) Thread.sleep(20);
        return exporter.getFinishedSpanItems();
    }

    @Test
    void everyRequestBecomesAGenAiSpanWithUsageCostAndTags() throws Exception {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        try (TestBed bed = new TestBed(data, "", exporter)) {
            OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey(TestBed.KEY).maxRetries(0).build();
            HttpResponseFor<ChatCompletion> raw = openai.chat().completions().withRawResponse().create(
                    ChatCompletionCreateParams.builder().model("fast").addUserMessage("trace me").maxCompletionTokens(7).build());
            ChatCompletion completion = raw.parse();
            CompletionUsage usage = completion.usage().orElseThrow();
            String cost = raw.headers().values("x-tollgate-cost-usd").get(0);
            String requestId = raw.headers().values("x-tollgate-request-id").get(0);
            List<SpanData> spans = await(exporter, 1);
            assertThat(spans).hasSize(1);
            SpanData chat = spans.get(0);
            assertThat(chat.getName()).isEqualTo("chat fast");
            assertThat(chat.getKind()).isEqualTo(SpanKind.CLIENT);
            assertThat(str(chat, "gen_ai.operation.name")).isEqualTo("chat");
            assertThat(str(chat, "gen_ai.provider.name")).isEqualTo("openai");
            assertThat(str(chat, "gen_ai.request.model")).isEqualTo("fast");
            assertThat(str(chat, "gen_ai.response.model")).isEqualTo(completion.model());
            assertThat(num(chat, "gen_ai.usage.input_tokens")).isEqualTo(usage.promptTokens());
            assertThat(num(chat, "gen_ai.usage.output_tokens")).isEqualTo(usage.completionTokens());
            assertThat(str(chat, "tollgate.cost_usd")).isEqualTo(cost);
            assertThat(str(chat, "tollgate.request_id")).isEqualTo(requestId);
            assertThat(str(chat, "tollgate.key")).isEqualTo("search-prod");
            assertThat(str(chat, "tollgate.tag.team")).isEqualTo("search");
            assertThat(num(chat, "http.response.status_code")).isEqualTo(200);
            assertThat(chat.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
            assertThat(chat.getEndEpochNanos()).isGreaterThan(chat.getStartEpochNanos());
            assertThat(chat.getResource().getAttribute(AttributeKey.stringKey("service.name"))).isEqualTo("tollgate");
            // the recommended attributes: the provider's address, the cap asked for, the response's id and finish reasons
            assertThat(str(chat, "server.address")).isEqualTo("127.0.0.1");
            assertThat(num(chat, "server.port")).isEqualTo(bed.sandbox.port());
            assertThat(num(chat, "gen_ai.request.max_tokens")).isEqualTo(7);
            assertThat(str(chat, "gen_ai.response.id")).isEqualTo(completion.id()).isNotBlank();
            assertThat(chat.getAttributes().get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons")))
                    .containsExactly(completion.choices().get(0).finishReason().asString());

            exporter.reset();
            HttpResponse<String> anthropic = bed.post("/v1/messages",
                    "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}",
                    "x-api-key", TestBed.KEY, "anthropic-version", "2023-06-01");
            assertThatThrownBy(() -> openai.chat().completions().create(
                    ChatCompletionCreateParams.builder().model("broken-model").addUserMessage("fail").build()));
            spans = await(exporter, 2);
            assertThat(spans).extracting(SpanData::getName).containsExactlyInAnyOrder("chat claude-haiku-4-5", "chat broken-model");
            SpanData messages = spans.stream().filter(s -> s.getName().equals("chat claude-haiku-4-5")).findFirst().orElseThrow();
            assertThat(str(messages, "gen_ai.provider.name")).isEqualTo("anthropic");
            var body = Json.parse(anthropic.body());
            assertThat(num(messages, "gen_ai.usage.output_tokens")).isEqualTo(body.path("usage").path("output_tokens").asLong());
            assertThat(num(messages, "gen_ai.request.max_tokens")).isEqualTo(5);
            assertThat(str(messages, "gen_ai.response.id")).isEqualTo(body.path("id").asText()).isNotBlank();
            assertThat(messages.getAttributes().get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons")))
                    .containsExactly(body.path("stop_reason").asText());
            assertThat(num(messages, "server.port")).isEqualTo(bed.sandbox.port());
            SpanData failed = spans.stream().filter(s -> s.getName().equals("chat broken-model")).findFirst().orElseThrow();
            assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(str(failed, "error.type")).isEqualTo("500");
        }
    }

    @Test
    void aStreamedAnswerHasItsIdAndFinishReasonOnTheSpan() throws Exception {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        try (TestBed bed = new TestBed(data, "", exporter)) {
            HttpResponse<String> stream = bed.post("/v1/chat/completions", "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"max_tokens\":4,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"stream me\"}]}", "authorization", "Bearer " + TestBed.KEY);
            assertThat(stream.statusCode()).isEqualTo(200);
            String firstEvent = stream.body().lines().filter(l -> l.startsWith("data: {")).findFirst().orElseThrow();
            String id = Json.parse(firstEvent.substring("data: ".length())).path("id").asText();
            String finish = stream.body().lines().filter(l -> l.contains("\"finish_reason\":\"")).findFirst()
                    .map(l -> Json.parseOrNull(l.substring("data: ".length())).path("choices").get(0).path("finish_reason").asText()).orElseThrow();
            SpanData span = await(exporter, 1).get(0);
            assertThat(str(span, "gen_ai.response.id")).isEqualTo(id).isNotBlank();
            assertThat(span.getAttributes().get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"))).containsExactly(finish);
            assertThat(num(span, "gen_ai.request.max_tokens")).isEqualTo(4);
        }
    }

    @Test
    void operationAndProviderNamesFollowTheConventions() {
        assertThat(GenAi.operation("openai.chat")).isEqualTo("chat");
        assertThat(GenAi.operation("anthropic.messages")).isEqualTo("chat");
        assertThat(GenAi.operation("openai.responses")).isEqualTo("chat");
        assertThat(GenAi.operation("openai.completions")).isEqualTo("text_completion");
        assertThat(GenAi.operation("openai.embeddings")).isEqualTo("embeddings");
        assertThat(GenAi.provider("azure")).isEqualTo("azure.ai.openai");
        assertThat(GenAi.provider("anthropic")).isEqualTo("anthropic");
    }

    @Test
    void aClientsTraceparentMakesTheSpanAChildInTheClientsTrace() throws Exception {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        try (TestBed bed = new TestBed(data, "", exporter)) {
            String body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            assertThat(bed.post("/v1/chat/completions", body, "authorization", "Bearer " + TestBed.KEY,
                    "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "tracestate", "vendor=abc").statusCode()).isEqualTo(200);
            assertThat(bed.post("/v1/chat/completions", body, "authorization", "Bearer " + TestBed.KEY,
                    "traceparent", "not-a-trace-context").statusCode()).isEqualTo(200);
            List<SpanData> spans = await(exporter, 2);
            assertThat(spans).hasSize(2);
            SpanData child = spans.get(0);
            assertThat(child.getTraceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
            assertThat(child.getParentSpanId()).isEqualTo("b7ad6b7169203331");
            assertThat(child.getSpanContext().getTraceState().get("vendor")).isEqualTo("abc");
            // an unreadable traceparent starts a trace of its own
            SpanData root = spans.get(1);
            assertThat(root.getParentSpanContext().isValid()).isFalse();
            assertThat(root.getTraceId()).isNotEqualTo("0af7651916cd43dd8448eb211c80319c");
        }
    }

    @Test
    void spansAreExportedOverOtlpHttpWhenAnEndpointIsConfigured() throws Exception {
        Vertx vertx = Vertx.vertx();
        List<Buffer> bodies = new CopyOnWriteArrayList<>();
        List<String> contentTypes = new CopyOnWriteArrayList<>();
        List<String> apiKeys = new CopyOnWriteArrayList<>();
        HttpServer receiver = vertx.createHttpServer().requestHandler(request -> {
            if (!request.path().equals("/v1/traces")) {
                request.response().setStatusCode(404).end();
                return;
            }
            contentTypes.add(request.getHeader("content-type"));
            apiKeys.add(request.getHeader("x-api-key"));
            request.body().onSuccess(body -> {
                bodies.add(body);
                request.response().putHeader("content-type", "application/x-protobuf").end(Buffer.buffer());
            });
        }).listen(0).await();
        try (TestBed bed = new TestBed(data, """
                telemetry:
                  otlp_endpoint: http://127.0.0.1:%d
                  service_name: gateway-under-test
                  headers: {x-api-key: collector-secret}
                """.formatted(receiver.actualPort()), null)) {
            OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey(TestBed.KEY).maxRetries(0).build();
            openai.chat().completions().create(ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage("export me").build());
            Thread.sleep(Duration.ofMillis(200)); // the ledger row is appended just after the answer
            bed.services.observability().close(); // flushes the batch processor
            assertThat(bodies).isNotEmpty();
            String payload = bodies.get(0).toString(StandardCharsets.ISO_8859_1); // protobuf keeps strings as UTF-8 bytes
            assertThat(contentTypes.get(0)).isEqualTo("application/x-protobuf");
            assertThat(apiKeys.get(0)).isEqualTo("collector-secret");
            assertThat(payload).contains("gateway-under-test", "chat gpt-4o-mini", "gen_ai.request.model", "gen_ai.usage.input_tokens",
                    "gen_ai.provider.name", "tollgate.cost_usd", "tollgate.tag.team", "search");
        } finally {
            receiver.close().await();
            vertx.close().await();
        }
    }
}
