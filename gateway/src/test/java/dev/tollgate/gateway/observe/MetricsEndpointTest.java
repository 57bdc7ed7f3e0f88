package dev.tollgate.gateway.observe;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Traffic through the real gateway with the OpenAI SDK, then {@code GET /metrics} must count exactly that traffic. */
class MetricsEndpointTest {

    @TempDir
    static Path data;
    static TestBed bed;
    static OpenAIClient search;
    static OpenAIClient ads;

    @BeforeAll
    static void start() throws Exception {
        // the in-process sandbox counts tokens: load the encoding before the gateway's 1.5 s upstream timeout runs
        dev.tollgate.core.tokens.TokenCounter.forModel("gpt-4o-mini").count("warm up");
        bed = new TestBed(data);
        search = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey(TestBed.KEY).maxRetries(0).build();
        ads = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey(TestBed.OTHER_KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    @Test
    void countsRequestsTokensCostAndLatencyPerModelProviderAndTeam() throws Exception {
        long prompt = 0, completion = 0;
        BigDecimal cost = BigDecimal.ZERO;
        for (int i = 0; i < 3; i++) {
            HttpResponseFor<ChatCompletion> raw = search.chat().completions().withRawResponse().create(
                    ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage("metrics question " + i).maxCompletionTokens(5 + i).build());
            CompletionUsage usage = raw.parse().usage().orElseThrow();
            prompt += usage.promptTokens();
            completion += usage.completionTokens();
            cost = cost.add(new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0)));
        }
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = search.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage("stream for metrics").maxCompletionTokens(6)
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunks::add);
        }
        CompletionUsage streamed = chunks.stream().flatMap(c -> c.usage().stream()).findFirst().orElseThrow();
        prompt += streamed.promptTokens();
        completion += streamed.completionTokens();
        ads.chat().completions().create(ChatCompletionCreateParams.builder().model("fast").addUserMessage("ads question").build());
        assertThatThrownBy(() -> search.chat().completions().create(
                ChatCompletionCreateParams.builder().model("broken-model").addUserMessage("fails upstream").build()));

        PrometheusText m = awaitRequests(6);
        String[] searchMini = {"model", "gpt-4o-mini", "provider", "sandbox", "team", "search"};
        assertThat(m.sum("tollgate_requests_total", with(searchMini, "status", "2xx"))).isEqualTo(4);
        assertThat(m.sum("tollgate_requests_total", "model", "fast", "provider", "sandbox", "team", "ads", "status", "2xx")).isEqualTo(1);
        assertThat(m.sum("tollgate_requests_total", "model", "broken-model", "provider", "broken", "team", "search", "status", "5xx")).isEqualTo(1);
        assertThat(m.sum("tollgate_tokens_total", with(searchMini, "kind", "input"))).isEqualTo(prompt);
        assertThat(m.sum("tollgate_tokens_total", with(searchMini, "kind", "output"))).isEqualTo(completion);
        // the stream's cost came as an SSE comment; price it by hand: gpt-4o-mini $0.15 in, $0.60 out per million
        BigDecimal streamedCost = BigDecimal.valueOf(streamed.promptTokens()).multiply(new BigDecimal("0.15"))
                .add(BigDecimal.valueOf(streamed.completionTokens()).multiply(new BigDecimal("0.60"))).movePointLeft(6);
        assertThat(m.sum("tollgate_cost_usd_total", searchMini)).isCloseTo(cost.add(streamedCost).doubleValue(), org.assertj.core.data.Offset.offset(1e-12));
        // every request lands in the latency histogram; only the stream has a time to first token
        assertThat(m.sum("tollgate_request_duration_seconds_count", searchMini)).isEqualTo(4);
        assertThat(m.sum("tollgate_request_duration_seconds_bucket", with(searchMini, "le", "+Inf"))).isEqualTo(4);
        assertThat(m.sum("tollgate_request_duration_seconds_bucket", with(searchMini, "le", "300.0"))).isEqualTo(4);
        assertThat(m.sum("tollgate_time_to_first_token_seconds_count", searchMini)).isEqualTo(1);
        assertThat(m.sum("jvm_memory_used_bytes", "area", "heap")).isPositive();
        assertThat(m.sum("process_uptime_seconds")).isPositive();
        assertThat(m.samples()).filteredOn(s -> s.name().equals("tollgate_request_duration_seconds_bucket"))
                .extracting(s -> s.labels().get("le")).contains("0.05", "0.25", "1.0", "10.0", "+Inf");
    }

    static String[] with(String[] base, String... more) {
        String[] out = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, out, base.length, more.length);
        return out;
    }

    /** Ledger rows are appended just after the answer is sent, so wait for the counters to catch up. */
    static PrometheusText awaitRequests(double expected) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            HttpResponse<String> r = get(bed, "/metrics", null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type").orElseThrow()).startsWith("text/plain; version=0.0.4");
            PrometheusText m = new PrometheusText(r.body());
            if (m.sum("tollgate_requests_total") >= expected || System.nanoTime() > deadline) return m;
            Thread.sleep(20);
        }
    }

    static HttpResponse<String> get(TestBed bed, String path, String bearer) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(bed.url() + path));
        if (bearer != null) request.header("authorization", "Bearer " + bearer);
        return bed.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void scrapingCanRequireTheAdminTokenOrBeSwitchedOff(@TempDir Path other) throws Exception {
        try (TestBed guarded = new TestBed(other.resolve("a"), "metrics: {require_admin_token: true}")) {
            assertThat(get(guarded, "/metrics", null).statusCode()).isEqualTo(401);
            assertThat(get(guarded, "/metrics", "wrong").statusCode()).isEqualTo(401);
            HttpResponse<String> ok = get(guarded, "/metrics", TestBed.ADMIN);
            assertThat(ok.statusCode()).isEqualTo(200);
        }
        try (TestBed off = new TestBed(other.resolve("b"), "metrics: {enabled: false}")) {
            HttpResponse<String> r = get(off, "/metrics", null);
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(r.body()).contains("metrics are disabled");
        }
    }
}
