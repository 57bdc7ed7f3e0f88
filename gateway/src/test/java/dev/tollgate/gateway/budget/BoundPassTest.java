package dev.tollgate.gateway.budget;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Budgets reserve in two ways (BudgetStage): far from the limit, a bound that needs no tokenizer (the request body's
 * bytes as prompt tokens, since every token is at least one byte); near it, the prompt's counted tokens. Both are
 * settled to the real cost. These tests watch the reservation of a call in flight to see which one was taken, and
 * check that the decisions are the exact ones either way: a budget that affords N calls takes exactly N, whichever
 * pass admitted them.
 */
class BoundPassTest {

    static final BigDecimal MILLION = new BigDecimal(1_000_000);
    /** gpt-4o-mini list prices, USD per million tokens (openai.com/api/pricing). */
    static final BigDecimal IN = new BigDecimal("0.15"), OUT = new BigDecimal("0.60");
    static final long TOKENS_PER_MINUTE = 1000;
    static final long DEFAULT_CAP = 500;
    static final String CHAT = "{\"model\":\"%s\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to the budget\"}]}";

    @TempDir
    static Path data;
    static BudgetBed bed;
    /** The prompt's tokens as the provider counts them, and the cost of one call (all 10 output tokens are written). */
    static long promptTokens;
    static BigDecimal each;

    @BeforeAll
    static void start() throws Exception {
        bed = new BudgetBed(data, """
                default_max_output_tokens: %d
                rate_limits:
                  - {scope: "customer:tpm", tokens_per_minute: %d}
                runaway: {enabled: false}
                """.formatted(DEFAULT_CAP, TOKENS_PER_MINUTE));
        HttpResponse<String> probe = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("probe"));
        assertThat(probe.statusCode()).isEqualTo(200);
        JsonNode usage = Json.parse(probe.body()).path("usage");
        assertThat(usage.path("completion_tokens").asLong()).isEqualTo(10);
        promptTokens = usage.path("prompt_tokens").asLong();
        each = cost(promptTokens, 10);
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    static String[] customer(String name) {
        return customer(BudgetBed.TEAM_KEY, name);
    }

    static String[] customer(String key, String name) {
        return new String[] {"authorization", "Bearer " + key, "x-tollgate-tags", "customer=" + name};
    }

    static BigDecimal cost(long input, long output) {
        return BigDecimal.valueOf(input).multiply(IN).add(BigDecimal.valueOf(output).multiply(OUT)).divide(MILLION);
    }

    static void createBudget(String name, BigDecimal limit) throws Exception {
        createBudget(name, "customer:" + name, limit);
    }

    static void createBudget(String name, String scope, BigDecimal limit) throws Exception {
        HttpResponse<String> created = bed.admin("POST", "/admin/budgets", "{\"name\":\"" + name + "\",\"scope\":\"" + scope
                + "\",\"period\":\"monthly\",\"limit_usd\":\"" + limit.toPlainString() + "\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    static JsonNode budget(String name) throws Exception {
        return bed.adminJson("/admin/budgets/" + name);
    }

    /** Sends a slow call for {@code customer} and returns what its budget holds in reserve while it is in flight. */
    static BigDecimal reservedWhileInFlight(String customer) throws Exception {
        return reservedWhileInFlight(customer, CHAT.formatted("slow-model"), each);
    }

    static BigDecimal reservedWhileInFlight(String customer, String body, BigDecimal cost) throws Exception {
        CompletableFuture<HttpResponse<String>> call = bed.http.sendAsync(
                bed.request("/v1/chat/completions", body, customer(customer)), HttpResponse.BodyHandlers.ofString());
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        BigDecimal reserved = BigDecimal.ZERO;
        // the provider answers after 700 ms: time enough to see the reservation
        while (reserved.signum() == 0 && System.nanoTime() < deadline && !call.isDone()) {
            reserved = new BigDecimal(budget(customer).path("reserved_usd").asText());
            if (reserved.signum() == 0) Thread.sleep(2);
        }
        assertThat(reserved.signum()).as("a reservation was seen while the call was in flight").isPositive();
        assertThat(call.join().statusCode()).isEqualTo(200);
        JsonNode after = budget(customer);
        assertThat(after.path("reserved_usd").asText()).isEqualTo("0");
        assertThat(new BigDecimal(after.path("spent_usd").asText())).isEqualByComparingTo(cost);
        return reserved;
    }

    @Test
    void farFromTheLimitTheBodysBytesAreHeldAndNearItTheCountedTokens() throws Exception {
        // the client's body: its bytes bound the prompt's tokens
        long bytes = CHAT.formatted("slow-model").getBytes(StandardCharsets.UTF_8).length;
        assertThat(bytes).isGreaterThan(promptTokens);
        BigDecimal bound = cost(bytes, 10);

        createBudget("roomy", bound.multiply(BigDecimal.valueOf(1000)));
        assertThat(reservedWhileInFlight("roomy")).isEqualByComparingTo(bound);

        // a budget that affords exactly one call: only the counted worst case fits, and it is admitted
        createBudget("tight", each);
        assertThat(reservedWhileInFlight("tight")).isEqualByComparingTo(each);
        HttpResponse<String> refused = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("tight"));
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(Json.parse(refused.body()).path("error").path("type").asText()).isEqualTo("budget_exceeded");
    }

    @Test
    void aBudgetThatAffordsAHundredCallsTakesExactlyAHundredWhicheverPassAdmitsThem() throws Exception {
        BigDecimal limit = each.multiply(BigDecimal.valueOf(100));
        // the first calls are far enough from the limit for the bound (ten more of it fit), the last ones are not
        BigDecimal bound = cost(CHAT.formatted("gpt-4o-mini").getBytes(StandardCharsets.UTF_8).length, 10);
        assertThat(bound.multiply(BigDecimal.valueOf(11))).isLessThan(limit).isGreaterThan(each.multiply(BigDecimal.TEN));
        createBudget("hundred", limit);
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> r = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("hundred"));
            assertThat(r.statusCode()).as("call " + (i + 1) + ": " + r.body()).isEqualTo(200);
            assertThat(new BigDecimal(r.headers().firstValue("x-tollgate-budget-remaining-usd").orElseThrow()))
                    .isEqualByComparingTo(limit.subtract(each.multiply(BigDecimal.valueOf(i + 1))));
        }
        assertThat(bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("hundred")).statusCode()).isEqualTo(429);
        JsonNode b = budget("hundred");
        assertThat(new BigDecimal(b.path("spent_usd").asText())).isEqualByComparingTo(limit);
        assertThat(b.path("remaining_usd").asText()).isEqualTo("0");
    }

    @Test
    void aRequestWithoutAnOutputCapHoldsTheConfiguredDefault() throws Exception {
        // no max_tokens: the worst case is the prompt plus the configured default cap (500), at the output rate
        String uncapped = "{\"model\":\"slow-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to the budget\"}]}";
        BigDecimal worst = cost(promptTokens, DEFAULT_CAP);
        createBudget("uncapped-short", worst.subtract(new BigDecimal("0.000000000001")));
        HttpResponse<String> refused = bed.post("/v1/chat/completions", uncapped, customer("uncapped-short"));
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(Json.parse(refused.body()).path("error").path("type").asText()).isEqualTo("budget_exceeded");

        createBudget("uncapped", worst);
        HttpResponse<String> probe = bed.post("/v1/chat/completions", uncapped.replace("slow-model", "gpt-4o-mini"), customer("probe"));
        JsonNode usage = Json.parse(probe.body()).path("usage");
        BigDecimal actual = cost(usage.path("prompt_tokens").asLong(), usage.path("completion_tokens").asLong());
        assertThat(reservedWhileInFlight("uncapped", uncapped, actual)).isEqualByComparingTo(worst);
    }

    @Test
    void everyBudgetThatAppliesMustAllowTheRequest() throws Exception {
        // the loop key's budget affords three calls, customer "pair" two: both apply to the loop key's calls for pair
        createBudget("loop-key", "key:loop", each.multiply(BigDecimal.valueOf(3)));
        createBudget("pair", each.multiply(BigDecimal.TWO));
        for (int i = 0; i < 2; i++) {
            assertThat(bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer(BudgetBed.LOOP_KEY, "pair")).statusCode()).isEqualTo(200);
        }
        HttpResponse<String> byCustomer = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer(BudgetBed.LOOP_KEY, "pair"));
        assertThat(byCustomer.statusCode()).isEqualTo(429);
        assertThat(byCustomer.headers().firstValue("x-tollgate-budget")).hasValue("pair");
        // another customer of the same key: the key's budget has one call left
        assertThat(bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer(BudgetBed.LOOP_KEY, "solo")).statusCode()).isEqualTo(200);
        HttpResponse<String> byKey = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer(BudgetBed.LOOP_KEY, "solo"));
        assertThat(byKey.statusCode()).isEqualTo(429);
        assertThat(byKey.headers().firstValue("x-tollgate-budget")).hasValue("loop-key");
        assertThat(Json.parse(byKey.body()).path("error").path("message").asText()).contains("budget 'loop-key' (key:loop)");
        assertThat(new BigDecimal(budget("loop-key").path("spent_usd").asText())).isEqualByComparingTo(each.multiply(BigDecimal.valueOf(3)));
        assertThat(new BigDecimal(budget("pair").path("spent_usd").asText())).isEqualByComparingTo(each.multiply(BigDecimal.TWO));
    }

    @Test
    void severalAnswersHoldTheOutputCapForEach() throws Exception {
        // n = 3 answers of up to 10 tokens each: the worst case is the prompt plus 30 output tokens
        String three = CHAT.formatted("gpt-4o-mini").replace("\"max_tokens\":10", "\"max_tokens\":10,\"n\":3");
        createBudget("three-short", cost(promptTokens, 30).subtract(new BigDecimal("0.000000000001")));
        assertThat(bed.post("/v1/chat/completions", three, customer("three-short")).statusCode()).isEqualTo(429);
        // one answer fits the same budget
        assertThat(bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("three-short")).statusCode()).isEqualTo(200);
        BigDecimal limit = cost(promptTokens, 30);
        createBudget("three", limit);
        HttpResponse<String> ok = bed.post("/v1/chat/completions", three, customer("three"));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        JsonNode answer = Json.parse(ok.body()); // the sandbox answers once; a provider would bill all three
        BigDecimal billed = cost(answer.path("usage").path("prompt_tokens").asLong(), answer.path("usage").path("completion_tokens").asLong());
        assertThat(new BigDecimal(budget("three").path("spent_usd").asText())).isEqualByComparingTo(billed).isLessThanOrEqualTo(limit);
    }

    @Test
    void aPromptTheClientAsksAnthropicToCacheHoldsTheCacheWriteRate() throws Exception {
        // claude-haiku-4-5 list prices, USD per million: input 1, one-hour cache write 2, five-minute 1.25, read 0.1, output 5
        String policy = "You answer questions about the returns policy of Acme. "
                + "Refunds are possible within thirty days of delivery when the item is unused. ".repeat(60);
        String plain = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":1,\"system\":[{\"type\":\"text\",\"text\":\"" + policy
                + "\"}],\"messages\":[{\"role\":\"user\",\"content\":\"Can I return shoes?\"}]}";
        String cached = plain.replace("\"}],\"messages\"", "\",\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}}],\"messages\"");
        String[] anthropic = {"x-api-key", BudgetBed.TEAM_KEY, "anthropic-version", "2023-06-01", "x-tollgate-tags", "customer=probe"};
        HttpResponse<String> probe = bed.post("/v1/messages", plain, anthropic);
        assertThat(probe.statusCode()).as(probe.body()).isEqualTo(200);
        long input = Json.parse(probe.body()).path("usage").path("input_tokens").asLong();
        assertThat(input).isGreaterThan(500);
        BigDecimal plainWorst = BigDecimal.valueOf(input).add(BigDecimal.valueOf(5)).divide(MILLION);

        // room for the prompt at the input rate with half again to spare, but not for it written to the cache for an hour
        createBudget("cache-writes", plainWorst.multiply(new BigDecimal("1.5")));
        anthropic[5] = "customer=cache-writes";
        HttpResponse<String> refused = bed.post("/v1/messages", cached, anthropic);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(Json.parse(refused.body()).path("error").path("type").asText()).isEqualTo("budget_exceeded");
        assertThat(bed.post("/v1/messages", plain, anthropic).statusCode()).isEqualTo(200);

        // with room for it, the call goes through, writes the cache, and costs what its usage says at list prices
        BigDecimal limit = plainWorst.multiply(new BigDecimal("2.2"));
        createBudget("cache-writes-ok", limit);
        anthropic[5] = "customer=cache-writes-ok";
        HttpResponse<String> ok = bed.post("/v1/messages", cached, anthropic);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        JsonNode usage = Json.parse(ok.body()).path("usage");
        long written = usage.path("cache_creation").path("ephemeral_1h_input_tokens").asLong();
        assertThat(written).isGreaterThan(500);
        BigDecimal cost = BigDecimal.valueOf(usage.path("input_tokens").asLong())
                .add(BigDecimal.valueOf(written).multiply(BigDecimal.TWO))
                .add(BigDecimal.valueOf(usage.path("cache_creation").path("ephemeral_5m_input_tokens").asLong()).multiply(new BigDecimal("1.25")))
                .add(BigDecimal.valueOf(usage.path("cache_read_input_tokens").asLong()).multiply(new BigDecimal("0.1")))
                .add(BigDecimal.valueOf(usage.path("output_tokens").asLong()).multiply(BigDecimal.valueOf(5))).divide(MILLION);
        assertThat(new BigDecimal(ok.headers().firstValue("x-tollgate-cost-usd").orElseThrow())).isEqualByComparingTo(cost);
        assertThat(cost).isGreaterThan(plainWorst.multiply(new BigDecimal("1.5")));
        assertThat(new BigDecimal(budget("cache-writes-ok").path("spent_usd").asText())).isEqualByComparingTo(cost).isLessThanOrEqualTo(limit);
    }

    /** Sends {@code n} calls for {@code customer} at once and counts those answered 200; all others must be 429s. */
    static int burst(String customer, int n) {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            calls.add(bed.http.sendAsync(bed.request("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer(customer)),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        for (var call : calls) {
            HttpResponse<String> r = call.join();
            if (r.statusCode() == 200) ok++;
            else assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
        }
        return ok;
    }

    @Test
    void aBurstOfTwoHundredAgainstABudgetThatAffordsAHundredGetsAHundred() throws Exception {
        // the first calls of the burst are admitted on the bound; those that find no room make the calls in flight
        // swap it for their counted worst case, so no call is refused for room that only the looser bound took
        BigDecimal limit = each.multiply(BigDecimal.valueOf(100));
        createBudget("burst", limit);
        assertThat(burst("burst", 200)).isEqualTo(100);
        JsonNode b = budget("burst");
        assertThat(new BigDecimal(b.path("spent_usd").asText())).isEqualByComparingTo(limit);
        assertThat(b.path("reserved_usd").asText()).isEqualTo("0");
    }

    @Test
    void aBurstAgainstATokenRateLimitGetsWhatItsCountedTokensAfford() {
        // 1,000 tokens a minute; each call counts its prompt and its 10-token cap, and uses both
        long perCall = promptTokens + 10;
        int ok = burst("tpm", 100);
        // the bucket refills at 1,000 a minute while the burst runs: at most a call or two more on a slow machine
        assertThat(ok).isBetween((int) (TOKENS_PER_MINUTE / perCall), (int) (TOKENS_PER_MINUTE / perCall) + 2);
    }
}
