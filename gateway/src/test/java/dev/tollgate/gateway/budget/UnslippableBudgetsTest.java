package dev.tollgate.gateway.budget;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.observe.PrometheusText;
import dev.tollgate.gateway.route.Router;
import dev.tollgate.gateway.stage.MeteringStage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Budgets that cannot be slipped (issue 14): a request without an output cap is sent with the cap its reservation
 * assumed, so a provider that would write 5,000 tokens ("wordy-*") writes 50; a model without a price is refused
 * where a budget applies, unless the config marks it free, and is metered as unpriced where none does.
 */
class UnslippableBudgetsTest {

    static final BigDecimal MILLION = new BigDecimal(1_000_000);
    /** List prices, USD per million tokens (openai.com/api/pricing): gpt-4o-mini. */
    static final BigDecimal MINI_IN = new BigDecimal("0.15"), MINI_OUT = new BigDecimal("0.60");
    static final long CAP = 50;
    static final String UNCAPPED = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Write me a long story\"}]}";
    static final String[] TEAM = {"authorization", "Bearer " + BudgetBed.TEAM_KEY};
    /** The loop key has no budget and no rate limit here. */
    static final String[] NO_BUDGET = {"authorization", "Bearer " + BudgetBed.LOOP_KEY};

    @TempDir
    static Path data;
    static BudgetBed bed;

    @BeforeAll
    static void start() throws Exception {
        bed = new BudgetBed(data, """
                default_max_output_tokens: %d
                budgets:
                  - {name: team-search, scope: "team:search", period: monthly, limit_usd: "1000"}
                anomaly: {enabled: false}
                runaway: {enabled: false}
                """.formatted(CAP));
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    static String[] customer(String name) {
        return new String[] {TEAM[0], TEAM[1], "x-tollgate-tags", "customer=" + name};
    }

    @Test
    void concurrentUncappedRequestsNeverSpendPastTheBudget() throws Exception {
        HttpResponse<String> probe = bed.post("/v1/chat/completions", UNCAPPED.formatted("wordy-mini"), customer("probe"));
        assertThat(probe.statusCode()).as(probe.body()).isEqualTo(200);
        assertThat(probe.headers().firstValue("x-tollgate-max-tokens-applied")).hasValue(String.valueOf(CAP));
        JsonNode answer = Json.parse(probe.body());
        // the provider would have written 5,000 tokens; it got the cap and stopped there
        assertThat(answer.path("usage").path("completion_tokens").asLong()).isEqualTo(CAP);
        assertThat(answer.path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
        long prompt = answer.path("usage").path("prompt_tokens").asLong();
        BigDecimal worst = BigDecimal.valueOf(prompt).multiply(MINI_IN).add(BigDecimal.valueOf(CAP).multiply(MINI_OUT)).divide(MILLION);
        BigDecimal limit = worst.multiply(BigDecimal.TEN);
        HttpResponse<String> created = bed.admin("POST", "/admin/budgets", "{\"name\":\"uncapped\",\"scope\":\"customer:uncapped\","
                + "\"period\":\"monthly\",\"limit_usd\":\"" + limit.toPlainString() + "\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            calls.add(bed.http.sendAsync(bed.request("/v1/chat/completions", UNCAPPED.formatted("wordy-mini"), customer("uncapped")),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        for (var call : calls) {
            HttpResponse<String> r = call.join();
            if (r.statusCode() == 200) {
                ok++;
                assertThat(Json.parse(r.body()).path("usage").path("completion_tokens").asLong()).isEqualTo(CAP);
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
            }
        }
        // every call costs exactly the worst case reserved for it, so exactly ten fit and nothing is overspent
        assertThat(ok).isEqualTo(10);
        BigDecimal spent = new BigDecimal(bed.adminJson("/admin/spend?customer=uncapped").path("total").path("cost_usd").asText());
        assertThat(spent).isEqualByComparingTo(limit);
    }

    @Test
    void anthropicAndResponsesClientsWithoutACapGetTheReservedOne() throws Exception {
        // the sandbox, like Anthropic, refuses a Messages request without max_tokens: the gateway supplies it
        HttpResponse<String> messages = bed.post("/v1/messages",
                "{\"model\":\"wordy-haiku\",\"messages\":[{\"role\":\"user\",\"content\":\"Write me a long story\"}]}",
                "x-api-key", BudgetBed.TEAM_KEY, "anthropic-version", "2023-06-01");
        assertThat(messages.statusCode()).as(messages.body()).isEqualTo(200);
        assertThat(messages.headers().firstValue("x-tollgate-max-tokens-applied")).hasValue(String.valueOf(CAP));
        assertThat(Json.parse(messages.body()).path("usage").path("output_tokens").asLong()).isEqualTo(CAP);
        assertThat(Json.parse(messages.body()).path("stop_reason").asText()).isEqualTo("max_tokens");

        HttpResponse<String> responses = bed.post("/v1/responses", "{\"model\":\"wordy-mini\",\"input\":\"Write me a long story\"}", TEAM);
        assertThat(responses.statusCode()).as(responses.body()).isEqualTo(200);
        assertThat(responses.headers().firstValue("x-tollgate-max-tokens-applied")).hasValue(String.valueOf(CAP));
        assertThat(Json.parse(responses.body()).path("usage").path("output_tokens").asLong()).isEqualTo(CAP);
    }

    @Test
    void reasoningModelsGetTheCapInMaxCompletionTokens() throws Exception {
        // OpenAI's reasoning models (and the sandbox's) refuse max_tokens with a 400
        HttpResponse<String> r = bed.post("/v1/chat/completions", UNCAPPED.formatted("wordy-o3"), TEAM);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-tollgate-max-tokens-applied")).hasValue(String.valueOf(CAP));
        assertThat(Json.parse(r.body()).path("usage").path("completion_tokens").asLong()).isEqualTo(CAP);
    }

    @Test
    void aClientsOwnCapIsLeftAloneAndRequestsNoBudgetAppliesToAreNotCapped() throws Exception {
        HttpResponse<String> own = bed.post("/v1/chat/completions",
                "{\"model\":\"wordy-mini\",\"max_tokens\":7,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", TEAM);
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(own.headers().firstValue("x-tollgate-max-tokens-applied")).isEmpty();
        assertThat(Json.parse(own.body()).path("usage").path("completion_tokens").asLong()).isEqualTo(7);

        HttpResponse<String> free = bed.post("/v1/chat/completions", UNCAPPED.formatted("wordy-mini"), NO_BUDGET);
        assertThat(free.statusCode()).isEqualTo(200);
        assertThat(free.headers().firstValue("x-tollgate-max-tokens-applied")).isEmpty();
        assertThat(Json.parse(free.body()).path("usage").path("completion_tokens").asLong()).isEqualTo(5000);
    }

    @Test
    void anUnpricedModelIsRefusedWhereABudgetAppliesInTheClientsFormat() throws Exception {
        HttpResponse<String> openAi = bed.post("/v1/chat/completions",
                "{\"model\":\"my-llama-70b\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", TEAM);
        assertThat(openAi.statusCode()).isEqualTo(403);
        assertThat(openAi.headers().firstValue("x-should-retry")).hasValue("false");
        JsonNode error = Json.parse(openAi.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("model_not_priced");
        assertThat(error.path("message").asText()).contains("'my-llama-70b' has no price").contains("budget 'team-search'")
                .contains("prices:").contains("free: true");

        HttpResponse<String> anthropic = bed.post("/v1/messages",
                "{\"model\":\"my-llama-70b\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "x-api-key", BudgetBed.TEAM_KEY, "anthropic-version", "2023-06-01");
        assertThat(anthropic.statusCode()).isEqualTo(403);
        JsonNode body = Json.parse(anthropic.body());
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("type").asText()).isEqualTo("permission_error");
        assertThat(body.path("error").path("message").asText()).contains("my-llama-70b").contains("prices:");
    }

    @Test
    void aFreeModelPassesBudgetsAtZeroAndAnUnpricedOneWithoutABudgetIsMarked() throws Exception {
        HttpResponse<String> free = bed.post("/v1/chat/completions",
                "{\"model\":\"free-llama\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", TEAM);
        assertThat(free.statusCode()).as(free.body()).isEqualTo(200);
        assertThat(free.headers().firstValue("x-tollgate-cost-usd")).hasValue("0");
        JsonNode freeRow = row(free);
        assertThat(freeRow.path("price_version").asText()).isEqualTo("free");
        assertThat(freeRow.path("unpriced").asBoolean()).isFalse();

        HttpResponse<String> unpriced = bed.post("/v1/chat/completions",
                "{\"model\":\"my-llama-70b\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", NO_BUDGET);
        assertThat(unpriced.statusCode()).as(unpriced.body()).isEqualTo(200);
        JsonNode row = row(unpriced);
        assertThat(row.path("unpriced").asBoolean()).isTrue();
        assertThat(row.path("output_tokens").asLong()).isEqualTo(5);
        assertThat(new BigDecimal(row.path("cost_usd").asText())).isZero();
        assertThat(row.path("price_version").isNull()).isTrue();

        HttpResponse<String> page = bed.http.send(HttpRequest.newBuilder(URI.create(bed.url() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        PrometheusText metrics = new PrometheusText(page.body());
        assertThat(metrics.sum("tollgate_unpriced_requests_total", "model", "my-llama-70b")).isEqualTo(1.0);
        assertThat(metrics.sum("tollgate_unpriced_requests_total", "model", "free-llama")).isZero();
    }

    @Test
    void startUpNamesEveryUnpricedModelInOneLine() throws Exception {
        var config = new ConfigLoader(Map.<String, String>of()::get).parse("""
                providers: {local: {type: openai, base_url: "http://127.0.0.1:1/v1"}}
                models:
                  - {name: gpt-4o-mini, provider: local}
                  - {name: my-llama-70b, provider: local}
                  - {name: llama, provider: local, model: llama-3.1-8b-instruct, price_as: my-llama}
                  - {name: free-llama, provider: local, model: my-llama-70b, free: true}
                """);
        String line = MeteringStage.unpricedWarning(new Router(config).all(), PriceCatalog.bundled(), Instant.parse("2026-11-01T00:00:00Z"))
                .orElseThrow();
        assertThat(line).contains("my-llama-70b, llama (priced as my-llama)").doesNotContain("gpt-4o-mini").doesNotContain("free-llama")
                .contains("prices:").contains("free: true");
        assertThat(MeteringStage.unpricedWarning(new Router(config).all().subList(0, 1), PriceCatalog.bundled(),
                Instant.parse("2026-11-01T00:00:00Z"))).isEmpty();
    }

    @Test
    void aRequestTooLargeForWhatIsLeftIsNotCalledExhaustion() throws Exception {
        String small = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to the budget\"}]}";
        String large = small.replace("\"max_tokens\":10", "\"max_tokens\":5000");
        JsonNode probe = Json.parse(bed.post("/v1/chat/completions", small, customer("probe")).body());
        long prompt = probe.path("usage").path("prompt_tokens").asLong();
        assertThat(probe.path("usage").path("completion_tokens").asLong()).isEqualTo(10);
        BigDecimal each = BigDecimal.valueOf(prompt).multiply(MINI_IN).add(BigDecimal.TEN.multiply(MINI_OUT)).divide(MILLION);
        BigDecimal largeWorst = BigDecimal.valueOf(prompt).multiply(MINI_IN).add(BigDecimal.valueOf(5000).multiply(MINI_OUT)).divide(MILLION);
        BigDecimal limit = each.multiply(BigDecimal.valueOf(3));
        assertThat(bed.admin("POST", "/admin/budgets", "{\"name\":\"steady\",\"scope\":\"customer:steady\",\"period\":\"monthly\","
                + "\"limit_usd\":\"" + limit.toPlainString() + "\"}").statusCode()).isEqualTo(201);

        assertThat(bed.post("/v1/chat/completions", small, customer("steady")).statusCode()).isEqualTo(200);
        assertThat(bed.post("/v1/chat/completions", large, customer("steady")).statusCode()).isEqualTo(429); // at 33%
        JsonNode refused = awaitAlert("steady", "budget_refused");
        assertThat(refused.path("message").asText()).contains("could not afford one request")
                .contains(BudgetWords.usd(largeWorst) + " is more than the " + BudgetWords.usd(each.multiply(BigDecimal.TWO)) + " left")
                .contains("requests that fit are still served").doesNotContain("exhausted");
        assertThat(new BigDecimal(refused.path("details").path("worst_case_usd").asText())).isEqualByComparingTo(largeWorst);
        assertThat(new BigDecimal(refused.path("details").path("remaining_usd").asText())).isEqualByComparingTo(each.multiply(BigDecimal.TWO));

        // later requests that fit are served, and "exhausted" comes when the spend reaches the limit
        assertThat(bed.post("/v1/chat/completions", small, customer("steady")).statusCode()).isEqualTo(200);
        assertThat(bed.post("/v1/chat/completions", small, customer("steady")).statusCode()).isEqualTo(200);
        JsonNode exhausted = awaitAlert("steady", "budget_exceeded");
        assertThat(exhausted.path("message").asText()).contains("is exhausted").contains(BudgetWords.usd(limit) + " of " + BudgetWords.usd(limit));
        assertThat(bed.post("/v1/chat/completions", small, customer("steady")).statusCode()).isEqualTo(429);
        Thread.sleep(200);
        assertThat(alerts("steady")).extracting(a -> a.path("kind").asText())
                .containsExactlyInAnyOrder("budget_refused", "budget_threshold", "budget_threshold", "budget_threshold", "budget_exceeded");
    }

    static List<JsonNode> alerts(String budget) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode a : bed.adminJson("/admin/alerts?limit=1000").path("alerts")) if (a.path("subject").asText().equals(budget)) out.add(a);
        return out;
    }

    static JsonNode awaitAlert(String budget, String kind) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            for (JsonNode a : alerts(budget)) if (a.path("kind").asText().equals(kind)) return a;
            if (System.nanoTime() > deadline) throw new AssertionError("no " + kind + " alert for " + budget + ": " + alerts(budget));
            Thread.sleep(20);
        }
    }

    /** The ledger row of an answer, by its request id. */
    static JsonNode row(HttpResponse<String> answer) throws Exception {
        String id = answer.headers().firstValue("x-tollgate-request-id").orElseThrow();
        return bed.adminJson("/admin/requests/" + id).path("request");
    }
}
