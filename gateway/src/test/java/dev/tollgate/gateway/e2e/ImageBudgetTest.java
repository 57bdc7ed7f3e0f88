package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.SandboxGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An image in a prompt is a few bytes of URL but is billed as hundreds to tens of thousands of tokens, depending on
 * its size, which the gateway cannot know before the call. The budget's reservation must assume the most an image
 * can be billed as: before, images counted as no tokens at all, so a request with four 2048-px images to gpt-4o-mini
 * (25,501 tokens each at high detail, OpenAI's vision pricing) went through a $0.01 budget with $0.0062 left and spent
 * $0.0153.
 */
class ImageBudgetTest {

    static Path data;
    static Vertx vertx;
    static HttpServer provider;
    static SandboxGateway bed;
    static final AtomicInteger upstreamCalls = new AtomicInteger();

    /** gpt-4o-mini, high detail, a 2048 x 2048 image: scaled to 768 x 768, four 512-px tiles: 2,833 + 4 x 5,667. */
    static final long MINI_IMAGE_TOKENS = 2_833 + 4 * 5_667;
    /** Claude: an image of about 1.15 megapixels (1092 x 1092) is about 1,590 tokens (width x height / 750). */
    static final long CLAUDE_IMAGE_TOKENS = 1092L * 1092 / 750;

    @BeforeAll
    static void start() throws Exception {
        data = Files.createTempDirectory("image-budget");
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer().requestHandler(r -> r.body().onSuccess(body -> answer(r, body.toString())))
                .listen(0).await();
        bed = new SandboxGateway(data, sandbox -> """
                admin: {token: admin}
                providers:
                  openai: {type: openai, base_url: "http://127.0.0.1:%1$d/v1"}
                  anthropic: {type: anthropic, base_url: "http://127.0.0.1:%1$d"}
                models:
                  - {name: gpt-4o-mini, provider: openai}
                  - {name: claude-haiku-4-5, provider: anthropic}
                keys:
                  - {key: tg-vision, name: vision, tags: {team: vision}}
                  - {key: tg-claude, name: claude, tags: {team: claude}}
                spend_controls:
                  budgets:
                    - {name: vision, scope: "team:vision", period: monthly, limit_usd: "0.01"}
                    - {name: claude, scope: "team:claude", period: monthly, limit_usd: "0.005"}
                """.formatted(provider.actualPort()));
    }

    @AfterAll
    static void stop() {
        bed.close();
        vertx.close().await();
    }

    @Test
    void imagesThatCouldCostMoreThanTheBudgetHasLeftAreRefusedBeforeTheyAreSent() throws Exception {
        OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey("tg-vision").maxRetries(0).build();

        // one image fits the $0.01 budget even at the most gpt-4o-mini can bill an image as, and is billed as reported
        HttpResponseFor<ChatCompletion> one = openai.chat().completions().withRawResponse().create(withImages(1));
        assertThat(one.statusCode()).isEqualTo(200);
        BigDecimal oneCost = tokens(MINI_IMAGE_TOKENS + 10, "0.15").add(tokens(1, "0.6"));
        assertThat(new BigDecimal(one.headers().values("x-tollgate-cost-usd").getFirst())).isEqualByComparingTo(oneCost);

        // four would cost $0.0153 (more than is left): refused with no call made
        int before = upstreamCalls.get();
        assertThatThrownBy(() -> openai.chat().completions().create(withImages(4)))
                .isInstanceOf(RateLimitException.class).hasMessageContaining("budget 'vision'");
        assertThat(upstreamCalls.get()).isEqualTo(before);

        bed.ledger.flush();
        JsonNode budget = bed.admin("/admin/budgets/vision");
        assertThat(new BigDecimal(budget.path("spent_usd").asText())).isEqualByComparingTo(oneCost);
    }

    @Test
    void anthropicImagesToo() throws Exception {
        // claude-haiku-4-5 at $1 per million input tokens: three images fit $0.005 even held at Claude's largest image
        // (1,600 tokens each, plus the output cap of 20 at $5 per million); a fourth would cost more than is left
        HttpResponse<String> three = messages(3);
        assertThat(three.statusCode()).as(three.body()).isEqualTo(200);
        int before = upstreamCalls.get();
        HttpResponse<String> four = messages(4);
        assertThat(four.statusCode()).as(four.body()).isEqualTo(429);
        assertThat(Json.parse(four.body()).path("error").path("type").asText()).isEqualTo("budget_exceeded");
        assertThat(upstreamCalls.get()).isEqualTo(before);
    }

    private static HttpResponse<String> messages(int images) throws Exception {
        StringBuilder content = new StringBuilder("[{\"type\":\"text\",\"text\":\"What is in these pictures?\"}");
        for (int i = 0; i < images; i++) {
            content.append(",{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://example.com/p").append(i).append(".jpg\"}}");
        }
        String body = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":" + content + "]}]}";
        return bed.http.send(HttpRequest.newBuilder(URI.create(bed.url() + "/v1/messages"))
                .header("x-api-key", "tg-claude").header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static ChatCompletionCreateParams withImages(int images) {
        List<ChatCompletionContentPart> parts = new ArrayList<>();
        parts.add(ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder().text("What is in these pictures?").build()));
        for (int i = 0; i < images; i++) {
            parts.add(ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder()
                    .imageUrl(ChatCompletionContentPartImage.ImageUrl.builder().url("https://example.com/p" + i + ".jpg")
                            .detail(ChatCompletionContentPartImage.ImageUrl.Detail.HIGH).build()).build()));
        }
        return ChatCompletionCreateParams.builder().model("gpt-4o-mini").maxCompletionTokens(1)
                .addUserMessageOfArrayOfContentParts(parts).build();
    }

    private static BigDecimal tokens(long n, String perMillion) {
        return new BigDecimal(perMillion).multiply(BigDecimal.valueOf(n)).movePointLeft(6);
    }

    /** As the providers bill images of 2048 x 2048 (OpenAI, high detail) and 1092 x 1092 (Anthropic): 10 text tokens. */
    private static void answer(HttpServerRequest r, String body) {
        upstreamCalls.incrementAndGet();
        JsonNode request = Json.tree(body);
        long images = 0;
        for (JsonNode part : request.path("messages").get(0).path("content")) {
            String type = part.path("type").asText();
            if (type.equals("image_url") || type.equals("image")) images++;
        }
        if (r.path().endsWith("/chat/completions")) {
            long prompt = images * MINI_IMAGE_TOKENS + 10;
            r.response().putHeader("content-type", "application/json").end("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\","
                    + "\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"A\"},"
                    + "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":1,\"total_tokens\":"
                    + (prompt + 1) + ",\"prompt_tokens_details\":{\"cached_tokens\":0}}}");
            return;
        }
        r.response().putHeader("content-type", "application/json").end("{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
                + "\"model\":\"claude-haiku-4-5\",\"content\":[{\"type\":\"text\",\"text\":\"Cats\"}],\"stop_reason\":\"end_turn\","
                + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":" + (images * CLAUDE_IMAGE_TOKENS + 10) + ",\"output_tokens\":2}}");
    }
}
