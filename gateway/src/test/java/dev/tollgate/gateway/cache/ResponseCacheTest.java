package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import dev.tollgate.gateway.Json;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The exact response cache through the real gateway: hits, misses, bypasses, tenants, streams, the ledger. */
class ResponseCacheTest {

    @TempDir
    static Path data;
    static CacheBed bed;

    /** gpt-4o-mini's list price, USD per million tokens: $0.15 input, $0.60 output. */
    static BigDecimal gpt4oMiniCost(JsonNode usage) {
        return BigDecimal.valueOf(usage.path("prompt_tokens").asLong()).multiply(new BigDecimal("0.15"))
                .add(BigDecimal.valueOf(usage.path("completion_tokens").asLong()).multiply(new BigDecimal("0.60")))
                .divide(BigDecimal.valueOf(1_000_000));
    }

    @BeforeAll
    static void start() throws Exception {
        bed = new CacheBed(data, """
                cache:
                  enabled: true
                  ttl: 1h
                  policies:
                    - {model: uncached-model, enabled: false}
                    - {model: shared-model, shared_namespace: everyone}
                """, 0);
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    private static JsonNode json(String body) throws Exception {
        return Json.parse(Buffer.buffer(body));
    }

    @Test
    void secondIdenticalRequestIsAFreeHitWhateverItsFieldOrderAndWhitespace() throws Exception {
        String first = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"What is a hit?\"}],\"max_tokens\":9}";
        String same = "{ \"max_tokens\" : 9.0,\n \"user\": \"someone\", \"stream\": false,\n \"messages\" : [ {\"content\":\"What is a hit?\", \"role\":\"user\"} ], \"model\":\"gpt-4o-mini\" }";
        long before = bed.upstreamCalls();
        HttpResponse<String> miss = bed.post("/v1/chat/completions", first);
        HttpResponse<String> hit = bed.post("/v1/chat/completions", same);

        assertThat(miss.statusCode()).isEqualTo(200);
        assertThat(miss.headers().firstValue("x-tollgate-cache")).hasValue("miss");
        BigDecimal cost = gpt4oMiniCost(json(miss.body()).path("usage"));
        assertThat(cost).isPositive();
        assertThat(new BigDecimal(miss.headers().firstValue("x-tollgate-cost-usd").orElseThrow())).isEqualByComparingTo(cost);

        assertThat(hit.statusCode()).isEqualTo(200);
        assertThat(hit.headers().firstValue("x-tollgate-cache")).hasValue("hit");
        assertThat(hit.headers().firstValue("x-tollgate-cost-usd")).hasValue("0");
        assertThat(new BigDecimal(hit.headers().firstValue("x-tollgate-saved-usd").orElseThrow())).isEqualByComparingTo(cost);
        assertThat(hit.headers().firstValue("content-type").orElseThrow()).startsWith("application/json");
        assertThat(hit.body()).isEqualTo(miss.body());
        assertThat(bed.upstreamCalls() - before).isEqualTo(1);

        String missId = miss.headers().firstValue("x-tollgate-request-id").orElseThrow();
        String hitId = hit.headers().firstValue("x-tollgate-request-id").orElseThrow();
        assertThat(hitId).isNotEqualTo(missId);
        JsonNode rows = bed.admin("/admin/requests?limit=1000").path("requests");
        JsonNode missRow = row(rows, missId), hitRow = row(rows, hitId);
        assertThat(missRow.path("cache").isNull()).isTrue();
        assertThat(missRow.path("cost_usd").decimalValue()).isEqualByComparingTo(cost);
        assertThat(hitRow.path("cache").asText()).isEqualTo("hit");
        assertThat(hitRow.path("cost_usd").decimalValue()).isEqualByComparingTo("0");
        assertThat(hitRow.path("saved_usd").decimalValue()).isEqualByComparingTo(cost);
        assertThat(hitRow.path("input_tokens").asLong()).isZero();
        assertThat(hitRow.path("status").asInt()).isEqualTo(200);
        assertThat(hitRow.path("key").asText()).isEqualTo("search-prod");

        JsonNode spend = bed.admin("/admin/spend?group_by=cache&key=search-prod&model=gpt-4o-mini");
        assertThat(spend.path("total").path("saved_usd").decimalValue()).isGreaterThanOrEqualTo(cost);
        JsonNode hits = null;
        for (JsonNode r : spend.path("rows")) if (r.path("cache").asText().equals("hit")) hits = r;
        assertThat(hits).isNotNull();
        assertThat(hits.path("cost_usd").decimalValue()).isEqualByComparingTo("0");
    }

    static JsonNode row(JsonNode rows, String requestId) {
        for (JsonNode r : rows) if (r.path("request_id").asText().equals(requestId)) return r;
        throw new AssertionError("no ledger row for " + requestId);
    }

    @Test
    void tenantsDoNotSeeEachOthersEntriesUnlessANamespaceIsShared() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"tenant isolation\"}]}";
        assertThat(bed.postAs("/v1/chat/completions", body, CacheBed.KEY).headers().firstValue("x-tollgate-cache")).hasValue("miss");
        assertThat(bed.postAs("/v1/chat/completions", body, CacheBed.OTHER_KEY).headers().firstValue("x-tollgate-cache")).hasValue("miss");
        assertThat(bed.postAs("/v1/chat/completions", body, CacheBed.OTHER_KEY).headers().firstValue("x-tollgate-cache")).hasValue("hit");

        String shared = "{\"model\":\"shared-model\",\"messages\":[{\"role\":\"user\",\"content\":\"shared namespace\"}]}";
        HttpResponse<String> first = bed.postAs("/v1/chat/completions", shared, CacheBed.KEY);
        HttpResponse<String> other = bed.postAs("/v1/chat/completions", shared, CacheBed.OTHER_KEY);
        assertThat(first.headers().firstValue("x-tollgate-cache")).hasValue("miss");
        assertThat(other.headers().firstValue("x-tollgate-cache")).hasValue("hit");
        assertThat(other.body()).isEqualTo(first.body());
    }

    @Test
    void deploymentAndParametersAreInTheKey() throws Exception {
        String a = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"keyed\"}],\"max_tokens\":5}";
        String b = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"keyed\"}],\"max_tokens\":6}";
        String c = "{\"model\":\"shared-model\",\"messages\":[{\"role\":\"user\",\"content\":\"keyed\"}],\"max_tokens\":5}";
        assertThat(bed.post("/v1/chat/completions", a).headers().firstValue("x-tollgate-cache")).hasValue("miss");
        assertThat(bed.post("/v1/chat/completions", b).headers().firstValue("x-tollgate-cache")).hasValue("miss");
        assertThat(bed.post("/v1/chat/completions", c).headers().firstValue("x-tollgate-cache")).hasValue("miss");
        assertThat(bed.post("/v1/chat/completions", a).headers().firstValue("x-tollgate-cache")).hasValue("hit");
    }

    @Test
    void requestHeadersControlTheCache() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"headers\"}]}";
        long before = bed.upstreamCalls();
        // no-store: neither served from nor written to the cache
        assertThat(bed.post("/v1/chat/completions", body, "cache-control", "no-store").headers().firstValue("x-tollgate-cache")).hasValue("bypass");
        assertThat(bed.post("/v1/chat/completions", body).headers().firstValue("x-tollgate-cache")).hasValue("miss");
        assertThat(bed.post("/v1/chat/completions", body).headers().firstValue("x-tollgate-cache")).hasValue("hit");
        // no-cache: goes to the provider although an answer is stored
        HttpResponse<String> fresh = bed.post("/v1/chat/completions", body, "cache-control", "no-cache");
        assertThat(fresh.headers().firstValue("x-tollgate-cache")).hasValue("bypass");
        assertThat(fresh.headers().firstValue("x-tollgate-cost-usd").orElseThrow()).isNotEqualTo("0");
        assertThat(bed.upstreamCalls() - before).isEqualTo(3);

        // a two-second TTL: served again at once, gone after it
        String shortLived = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"short ttl\"}]}";
        assertThat(bed.post("/v1/chat/completions", shortLived, "x-tollgate-cache-ttl", "2").headers().firstValue("x-tollgate-cache")).hasValue("miss");
        assertThat(bed.post("/v1/chat/completions", shortLived).headers().firstValue("x-tollgate-cache")).hasValue("hit");
        bed.clock.advance(Duration.ofMillis(2001));
        assertThat(bed.post("/v1/chat/completions", shortLived).headers().firstValue("x-tollgate-cache")).hasValue("miss");

        HttpResponse<String> bad = bed.post("/v1/chat/completions", shortLived, "x-tollgate-cache-ttl", "soon");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad.body()).path("error").path("message").asText()).contains("x-tollgate-cache-ttl");
    }

    @Test
    void unrepeatableRequestsAndDisabledScopesBypass() throws Exception {
        String twoChoices = "{\"model\":\"gpt-4o-mini\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"two\"}]}";
        long before = bed.upstreamCalls();
        assertThat(bed.post("/v1/chat/completions", twoChoices).headers().firstValue("x-tollgate-cache")).hasValue("bypass");
        assertThat(bed.post("/v1/chat/completions", twoChoices).headers().firstValue("x-tollgate-cache")).hasValue("bypass");
        String off = "{\"model\":\"uncached-model\",\"messages\":[{\"role\":\"user\",\"content\":\"off\"}]}";
        assertThat(bed.post("/v1/chat/completions", off).headers().firstValue("x-tollgate-cache")).isEmpty();
        assertThat(bed.post("/v1/chat/completions", off).headers().firstValue("x-tollgate-cache")).isEmpty();
        assertThat(bed.upstreamCalls() - before).isEqualTo(4);
    }

    @Test
    void embeddingsAreCachedToo() throws Exception {
        String body = "{\"model\":\"text-embedding-3-small\",\"input\":\"cache me\",\"dimensions\":8}";
        HttpResponse<String> miss = bed.post("/v1/embeddings", body);
        HttpResponse<String> hit = bed.post("/v1/embeddings", body);
        assertThat(hit.headers().firstValue("x-tollgate-cache")).hasValue("hit");
        assertThat(json(hit.body())).isEqualTo(json(miss.body()));
    }

    @Test
    void aStreamIsReplayedAsAnEventStreamTheOpenAiSdkReads() throws Exception {
        OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey(CacheBed.KEY).maxRetries(0).build();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("gpt-4o-mini")
                .addUserMessage("Stream a cached answer").maxCompletionTokens(14)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        long before = bed.upstreamCalls();
        List<ChatCompletionChunk> fresh = chunks(openai, params);
        List<ChatCompletionChunk> replayed = chunks(openai, params);
        assertThat(bed.upstreamCalls() - before).isEqualTo(1);
        assertThat(text(replayed)).isEqualTo(text(fresh)).isNotBlank();
        assertThat(replayed).hasSameSizeAs(fresh);
        assertThat(replayed.getLast().usage().orElseThrow().completionTokens()).isEqualTo(14);

        // on the wire: an event stream, marked as a hit, whose cost comment says 0
        String raw = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_completion_tokens\":14,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Stream a cached answer\"}]}";
        HttpResponse<String> hit = bed.post("/v1/chat/completions", raw);
        assertThat(hit.headers().firstValue("content-type").orElseThrow()).startsWith("text/event-stream");
        assertThat(hit.headers().firstValue("x-tollgate-cache")).hasValue("hit");
        assertThat(hit.body()).contains("\n: x-tollgate-cost-usd=0 hit saved=").endsWith("data: [DONE]\n\n");
        assertThat(bed.upstreamCalls() - before).isEqualTo(1);

        // without include_usage the stream differs (no usage chunk), so it is another entry
        ChatCompletionCreateParams noUsage = params.toBuilder().streamOptions(java.util.Optional.empty()).build();
        List<ChatCompletionChunk> plain = chunks(openai, noUsage);
        assertThat(plain).allSatisfy(c -> assertThat(c.usage()).isEmpty());
        assertThat(bed.upstreamCalls() - before).isEqualTo(2);
    }

    @Test
    void anAnthropicStreamIsReplayedToTheAnthropicSdk() {
        AnthropicClient anthropic = AnthropicOkHttpClient.builder().baseUrl(bed.url()).apiKey(CacheBed.KEY).maxRetries(0).build();
        MessageCreateParams params = MessageCreateParams.builder().model("claude-haiku-4-5").maxTokens(10)
                .addUserMessage("Stream me once, pay once").build();
        long before = bed.upstreamCalls();
        List<String> fresh = new ArrayList<>(), again = new ArrayList<>();
        try (com.anthropic.core.http.StreamResponse<RawMessageStreamEvent> s = anthropic.messages().createStreaming(params)) {
            s.stream().forEach(e -> fresh.add(e.toString()));
        }
        try (com.anthropic.core.http.StreamResponse<RawMessageStreamEvent> s = anthropic.messages().createStreaming(params)) {
            s.stream().forEach(e -> again.add(e.toString()));
        }
        assertThat(again).isEqualTo(fresh);
        assertThat(fresh.getLast()).contains("MessageStop");
        assertThat(bed.upstreamCalls() - before).isEqualTo(1);
    }

    private static List<ChatCompletionChunk> chunks(OpenAIClient openai, ChatCompletionCreateParams params) {
        List<ChatCompletionChunk> out = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions().createStreaming(params)) {
            stream.stream().forEach(out::add);
        }
        return out;
    }

    private static String text(List<ChatCompletionChunk> chunks) {
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append)));
        return text.toString();
    }
}
