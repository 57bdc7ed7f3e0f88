package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The official OpenAI Java SDK against the gateway in front of the sandbox: answers, usage, exact cost, ledger. */
class OpenAiSdkTest extends EndToEnd {

    /** gpt-4o-mini's published list price, USD per million tokens (openai.com/api/pricing). */
    static final BigDecimal INPUT = new BigDecimal("0.15");
    static final BigDecimal CACHED = new BigDecimal("0.075");
    static final BigDecimal OUTPUT = new BigDecimal("0.60");
    static final BigDecimal MILLION = new BigDecimal(1_000_000);

    static BigDecimal expectedCost(CompletionUsage usage) {
        long cached = usage.promptTokensDetails().flatMap(d -> d.cachedTokens()).orElse(0L);
        return BigDecimal.valueOf(usage.promptTokens() - cached).multiply(INPUT)
                .add(BigDecimal.valueOf(cached).multiply(CACHED))
                .add(BigDecimal.valueOf(usage.completionTokens()).multiply(OUTPUT))
                .divide(MILLION);
    }

    @Test
    void chatCompletionIsPricedFromReportedUsage() {
        HttpResponseFor<ChatCompletion> raw = openai.chat().completions().withRawResponse().create(
                ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage("What does a token cost?").maxCompletionTokens(20).build());
        ChatCompletion completion = raw.parse();
        CompletionUsage usage = completion.usage().orElseThrow();
        assertThat(completion.choices().get(0).message().content()).isPresent();
        // 3 tokens per message + 3 priming + "user" (1) + the prompt's own tokens: more than the overhead alone
        assertThat(usage.promptTokens()).isGreaterThan(7);
        assertThat(usage.completionTokens()).isBetween(1L, 20L);
        String header = raw.headers().values("x-tollgate-cost-usd").get(0);
        assertThat(new BigDecimal(header)).isEqualByComparingTo(expectedCost(usage));
        assertThat(raw.headers().values("x-tollgate-request-id").get(0)).startsWith("req_");
    }

    @Test
    void aliasedModelIsSentUnderTheProvidersName() {
        ChatCompletion completion = openai.chat().completions().create(
                ChatCompletionCreateParams.builder().model("fast").addUserMessage("hi").build());
        assertThat(completion.model()).startsWith("gpt-4o-mini");
    }

    @Test
    void streamRelaysEveryChunkAndHidesTheUsageChunkUnlessAsked() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage("Stream me a few words").maxCompletionTokens(12).build())) {
            stream.stream().forEach(chunks::add);
        }
        assertThat(chunks).isNotEmpty();
        assertThat(chunks).allSatisfy(c -> assertThat(c.usage()).isEmpty());
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append)));
        assertThat(text.toString()).isNotBlank();

        List<ChatCompletionChunk> withUsage = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage("Stream me a few words").maxCompletionTokens(12)
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(withUsage::add);
        }
        Optional<CompletionUsage> usage = withUsage.get(withUsage.size() - 1).usage();
        assertThat(usage).isPresent();
        assertThat(usage.get().completionTokens()).isEqualTo(12);
    }

    @Test
    void embeddingsArePricedAtTheEmbeddingRate() throws Exception {
        CreateEmbeddingResponse response = openai.embeddings().create(EmbeddingCreateParams.builder()
                .model("text-embedding-3-small").input("the cost of a token").build());
        assertThat(response.data()).hasSize(1);
        long tokens = response.usage().promptTokens();
        assertThat(tokens).isPositive();
        JsonNode rows = bed.admin("/admin/requests?limit=50").path("requests");
        JsonNode row = null;
        for (JsonNode r : rows) if (r.path("deployment").asText().equals("text-embedding-3-small")) row = r;
        assertThat(row).isNotNull();
        // text-embedding-3-small: $0.02 per million tokens
        assertThat(row.path("cost_usd").decimalValue())
                .isEqualByComparingTo(BigDecimal.valueOf(tokens).multiply(new BigDecimal("0.02")).divide(MILLION));
    }

    @Test
    void unknownModelAndBadKeyAreOpenAiErrors() {
        assertThatThrownBy(() -> openai.chat().completions().create(
                ChatCompletionCreateParams.builder().model("gpt-99").addUserMessage("hi").build()))
                .isInstanceOf(NotFoundException.class)
                .hasMessageContaining("gpt-99").hasMessageContaining("gpt-4o-mini");
        OpenAIClient stranger = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey("tg-nope").maxRetries(0).build();
        assertThatThrownBy(() -> stranger.chat().completions().create(
                ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage("hi").build()))
                .isInstanceOf(UnauthorizedException.class);
    }

    @Test
    void ledgerTotalsMatchTheCostsReportedToClients() throws Exception {
        BigDecimal reported = BigDecimal.ZERO;
        OpenAIClient ads = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey(TestBed.OTHER_KEY).maxRetries(0).build();
        for (int i = 0; i < 5; i++) {
            HttpResponseFor<ChatCompletion> raw = ads.chat().completions().withRawResponse().create(
                    ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage("question number " + i).build());
            raw.parse();
            reported = reported.add(new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0)));
        }
        JsonNode spend = bed.admin("/admin/spend?group_by=team,model&team=ads");
        JsonNode rows = spend.path("rows");
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).path("team").asText()).isEqualTo("ads");
        assertThat(rows.get(0).path("requests").asLong()).isEqualTo(5);
        assertThat(rows.get(0).path("cost_usd").decimalValue()).isEqualByComparingTo(reported);
    }
}
