package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.SandboxGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * OpenAI bills a call by the service tier that served it (flex about half of standard, priority about twice), and
 * says which in the answer ({@code service_tier}, in every stream chunk and in {@code response.completed} too). The
 * official SDK against a provider that answers as OpenAI documents: each call costs what OpenAI's Flex / Standard /
 * Priority tables say, the ledger's price version names the tier, and a budget reserves a priority request at
 * priority rates. Before, every call was billed at standard rates whatever served it.
 *
 * <p>Every answer reports 2,000 input tokens (1,000 of them cached) and 500 output tokens (100 reasoning, already in
 * the 500). gpt-5, USD per million tokens (openai.com/api/pricing; openai.com/api-priority-processing):
 * <pre>
 *   standard  input 1.25,  cached 0.125,  output 10 → 1000×1.25 + 1000×0.125  + 500×10 = 6375    → $0.006375
 *   flex      input 0.625, cached 0.0625, output 5  → 1000×0.625 + 1000×0.0625 + 500×5  = 3187.5  → $0.0031875
 *   priority  input 2.5,   cached 0.25,   output 20 → 1000×2.5  + 1000×0.25   + 500×20 = 12750   → $0.01275
 * </pre>
 */
class ServiceTierTest {

    static final BigDecimal STANDARD = new BigDecimal("0.006375");
    static final BigDecimal FLEX = new BigDecimal("0.0031875");
    static final BigDecimal PRIORITY = new BigDecimal("0.01275");

    static final String USAGE_CHAT = "{\"prompt_tokens\":2000,\"completion_tokens\":500,\"total_tokens\":2500,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":1000,\"audio_tokens\":0},\"completion_tokens_details\":"
            + "{\"reasoning_tokens\":100,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}";
    static final String USAGE_RESPONSES = "{\"input_tokens\":2000,\"input_tokens_details\":{\"cached_tokens\":1000},"
            + "\"output_tokens\":500,\"output_tokens_details\":{\"reasoning_tokens\":100},\"total_tokens\":2500}";

    static Path data;
    static Vertx vertx;
    static HttpServer provider;
    static SandboxGateway bed;
    static OpenAIClient openai;
    static OpenAIClient budgeted;

    @BeforeAll
    static void start() throws Exception {
        data = Files.createTempDirectory("service-tier");
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer().requestHandler(r -> r.body().onSuccess(body -> answer(r, Json.tree(body.toString()))))
                .listen(0).await();
        String p = "http://127.0.0.1:" + provider.actualPort();
        bed = new SandboxGateway(data, sandbox -> """
                admin: {token: admin}
                providers:
                  openai: {type: openai, base_url: "%1$s/v1"}
                  openai-busy: {type: openai, base_url: "%1$s/v1", headers: {x-serve-at: default}}
                models:
                  - {name: gpt-5, provider: openai}
                  - {name: gpt-5-nano, provider: openai}
                  - {name: gpt-5-busy, provider: openai-busy, model: gpt-5}
                keys:
                  - {key: tg-tier, name: tier}
                  - {key: tg-budgeted, name: budgeted}
                spend_controls:
                  budgets:
                    - {name: tiny, scope: "key:budgeted", period: lifetime, limit_usd: "0.000001"}
                """.formatted(p));
        openai = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey("tg-tier").maxRetries(0).build();
        budgeted = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey("tg-budgeted").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        bed.close();
        vertx.close().await();
    }

    static ChatCompletionCreateParams chat(String model, ChatCompletionCreateParams.ServiceTier tier) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Summarise the tiers").maxCompletionTokens(600)
                .serviceTier(tier).build();
    }

    static ResponseCreateParams responses(String model, ResponseCreateParams.ServiceTier tier) {
        return ResponseCreateParams.builder().model(model).input("Summarise the tiers").maxOutputTokens(600).serviceTier(tier).build();
    }

    @Test
    void aFlexChatCompletionIsBilledAtFlexRates() throws Exception {
        HttpResponseFor<ChatCompletion> raw = openai.chat().completions().withRawResponse()
                .create(chat("gpt-5", ChatCompletionCreateParams.ServiceTier.FLEX));
        assertThat(raw.parse().serviceTier()).contains(ChatCompletion.ServiceTier.FLEX);
        assertThat(new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0))).isEqualByComparingTo(FLEX);
        JsonNode row = row(raw.headers().values("x-tollgate-request-id").get(0));
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(FLEX);
        assertThat(row.path("price_version").asText()).isEqualTo("gpt-5@2025-08-07:flex");
    }

    @Test
    void aStreamedPriorityChatCompletionIsBilledAtPriorityRates() throws Exception {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions()
                .createStreaming(chat("gpt-5", ChatCompletionCreateParams.ServiceTier.PRIORITY))) {
            stream.stream().forEach(chunks::add);
        }
        assertThat(chunks).isNotEmpty().allSatisfy(c -> assertThat(c.serviceTier()).contains(ChatCompletionChunk.ServiceTier.PRIORITY));
        JsonNode row = lastRow();
        assertThat(row.path("stream").asBoolean()).isTrue();
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(PRIORITY);
        assertThat(row.path("price_version").asText()).isEqualTo("gpt-5@2025-08-07:priority");
    }

    @Test
    void autoServedAtTheDefaultTierIsBilledAtStandardRates() throws Exception {
        HttpResponseFor<ChatCompletion> raw = openai.chat().completions().withRawResponse()
                .create(chat("gpt-5", ChatCompletionCreateParams.ServiceTier.AUTO));
        assertThat(raw.parse().serviceTier()).contains(ChatCompletion.ServiceTier.DEFAULT);
        assertThat(new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0))).isEqualByComparingTo(STANDARD);
        assertThat(row(raw.headers().values("x-tollgate-request-id").get(0)).path("price_version").asText()).isEqualTo("gpt-5@2025-08-07");
    }

    @Test
    void priorityAskedForButServedAtTheDefaultTierIsBilledAtStandardRates() throws Exception {
        HttpResponseFor<ChatCompletion> raw = openai.chat().completions().withRawResponse()
                .create(chat("gpt-5-busy", ChatCompletionCreateParams.ServiceTier.PRIORITY));
        assertThat(raw.parse().serviceTier()).contains(ChatCompletion.ServiceTier.DEFAULT);
        assertThat(new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0))).isEqualByComparingTo(STANDARD);

        // streamed: the usage chunk says default too
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions()
                .createStreaming(chat("gpt-5-busy", ChatCompletionCreateParams.ServiceTier.PRIORITY))) {
            stream.stream().forEach(c -> { });
        }
        JsonNode row = lastRow();
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(STANDARD);
        assertThat(row.path("price_version").asText()).isEqualTo("gpt-5@2025-08-07");
    }

    @Test
    void aFlexResponseIsBilledAtFlexRates() throws Exception {
        HttpResponseFor<Response> raw = openai.responses().withRawResponse().create(responses("gpt-5", ResponseCreateParams.ServiceTier.FLEX));
        assertThat(raw.parse().serviceTier()).contains(Response.ServiceTier.FLEX);
        assertThat(new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0))).isEqualByComparingTo(FLEX);
        assertThat(row(raw.headers().values("x-tollgate-request-id").get(0)).path("price_version").asText())
                .isEqualTo("gpt-5@2025-08-07:flex");
    }

    @Test
    void aStreamedPriorityResponseIsBilledByTheTierItsCompletedEventNames() throws Exception {
        List<ResponseStreamEvent> events = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = openai.responses()
                .createStreaming(responses("gpt-5", ResponseCreateParams.ServiceTier.PRIORITY))) {
            stream.stream().forEach(events::add);
        }
        Response completed = events.get(events.size() - 1).completed().orElseThrow().response();
        assertThat(completed.serviceTier()).contains(Response.ServiceTier.PRIORITY);
        JsonNode row = lastRow();
        assertThat(row.path("api").asText()).isEqualTo("openai.responses");
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(PRIORITY);
        assertThat(row.path("price_version").asText()).isEqualTo("gpt-5@2025-08-07:priority");

        // the same request served at the default tier: standard rates
        try (StreamResponse<ResponseStreamEvent> stream = openai.responses()
                .createStreaming(responses("gpt-5-busy", ResponseCreateParams.ServiceTier.PRIORITY))) {
            stream.stream().forEach(e -> { });
        }
        assertThat(lastRow().path("cost_usd").decimalValue()).isEqualByComparingTo(STANDARD);
    }

    @Test
    void aTierTheCatalogHasNoPriceForIsMarkedUnpricedNotBilledAtStandardRates() throws Exception {
        // OpenAI publishes no Priority rate for gpt-5-nano; this provider serves it at priority anyway
        HttpResponseFor<ChatCompletion> raw = openai.chat().completions().withRawResponse()
                .create(chat("gpt-5-nano", ChatCompletionCreateParams.ServiceTier.PRIORITY));
        raw.parse();
        JsonNode row = row(raw.headers().values("x-tollgate-request-id").get(0));
        assertThat(row.path("unpriced").asBoolean()).as(row.toString()).isTrue();
        assertThat(row.path("cost_usd").decimalValue()).isZero();
        assertThat(row.path("price_version").isNull()).isTrue();
    }

    @Test
    void aBudgetHoldsAPriorityRequestAtPriorityRatesAndRefusesATierItCannotPrice() {
        // gpt-5's priority rates are exactly twice its standard ones (the refusal rounds to 6 decimals), and flex is held
        // at standard rates (its upper bound)
        BigDecimal standard = heldFor(ChatCompletionCreateParams.ServiceTier.DEFAULT);
        assertThat(standard).isGreaterThan(new BigDecimal("0.006")); // 600 output tokens at $10 per million, and the prompt
        assertThat(heldFor(ChatCompletionCreateParams.ServiceTier.PRIORITY))
                .isCloseTo(standard.multiply(BigDecimal.TWO), within(new BigDecimal("0.000002")));
        assertThat(heldFor(ChatCompletionCreateParams.ServiceTier.FLEX)).isEqualByComparingTo(standard);

        assertThatThrownBy(() -> budgeted.chat().completions().create(chat("gpt-5-nano", ChatCompletionCreateParams.ServiceTier.PRIORITY)))
                .isInstanceOf(PermissionDeniedException.class)
                .hasMessageContaining("no price at service_tier 'priority'").hasMessageContaining("budget 'tiny'");
    }

    /** What the budget would hold for a gpt-5 request at this tier, as its refusal says ("may cost up to $…"). */
    private static BigDecimal heldFor(ChatCompletionCreateParams.ServiceTier tier) {
        try {
            budgeted.chat().completions().create(chat("gpt-5", tier));
        } catch (RateLimitException e) {
            Matcher m = Pattern.compile("may cost up to \\$([0-9.]+)").matcher(e.getMessage());
            assertThat(m.find()).as(e.getMessage()).isTrue();
            return new BigDecimal(m.group(1));
        }
        throw new AssertionError("the budget let a " + tier + " request through");
    }

    private static JsonNode row(String requestId) throws Exception {
        bed.ledger.flush();
        return bed.admin("/admin/requests/" + requestId).path("request");
    }

    private static JsonNode lastRow() throws Exception {
        bed.ledger.flush();
        return bed.admin("/admin/requests?limit=1").path("requests").get(0);
    }

    /**
     * The provider, answering as OpenAI documents: the tier it served in the body (Chat Completions: top-level
     * {@code service_tier}, in every chunk; Responses: {@code service_tier} of the response object). It serves flex
     * and priority as asked, anything else at "default", and everything at "default" when the gateway's provider entry
     * sends {@code x-serve-at: default} (OpenAI falls back so when priority capacity is short).
     */
    private static void answer(HttpServerRequest r, JsonNode body) {
        String asked = body.path("service_tier").asText("auto");
        String served = r.getHeader("x-serve-at") != null ? r.getHeader("x-serve-at")
                : asked.equals("flex") || asked.equals("priority") ? asked : "default";
        boolean stream = body.path("stream").asBoolean(false);
        String model = body.path("model").asText() + "-2025-08-07";
        String out;
        if (r.path().endsWith("/responses")) {
            String done = response(model, served, "completed", "[{\"type\":\"message\",\"id\":\"msg_1\",\"status\":\"completed\","
                    + "\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Flex is cheap.\",\"annotations\":[]}]}]",
                    USAGE_RESPONSES);
            out = !stream ? done
                    : sse("response.created", "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":"
                    + response(model, asked, "in_progress", "[]", "null") + "}")
                    + sse("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"sequence_number\":1,"
                    + "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Flex is cheap.\",\"logprobs\":[]}")
                    + sse("response.completed", "{\"type\":\"response.completed\",\"sequence_number\":2,\"response\":" + done + "}");
        } else {
            String head = "{\"id\":\"chatcmpl-1\",\"created\":1754550000,\"model\":\"" + model + "\",\"service_tier\":\"" + served
                    + "\",\"system_fingerprint\":null,";
            out = !stream ? head + "\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                    + "\"content\":\"Flex is cheap.\",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                    + "\"usage\":" + USAGE_CHAT + "}"
                    : "data: " + head + "\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                    + "\"content\":\"Flex is cheap.\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
                    + "data: " + head + "\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,"
                    + "\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
                    + "data: " + head + "\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":" + USAGE_CHAT + "}\n\n"
                    + "data: [DONE]\n\n";
        }
        r.response().putHeader("content-type", stream ? "text/event-stream" : "application/json").end(out);
    }

    private static String response(String model, String tier, String status, String output, String usage) {
        return "{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1754550000,\"status\":\"" + status + "\",\"model\":\""
                + model + "\",\"service_tier\":\"" + tier + "\",\"output\":" + output + ",\"parallel_tool_calls\":true,"
                + "\"tool_choice\":\"auto\",\"tools\":[],\"temperature\":1.0,\"top_p\":1.0,\"error\":null,\"incomplete_details\":null,"
                + "\"instructions\":null,\"metadata\":{},\"usage\":" + usage + "}";
    }

    private static String sse(String event, String data) {
        return "event: " + event + "\ndata: " + data + "\n\n";
    }
}
