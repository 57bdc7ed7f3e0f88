package dev.tollgate.gateway.budget;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.tollgate.gateway.budget.BudgetsTest.CHAT;
import static dev.tollgate.gateway.budget.BudgetsTest.await;
import static dev.tollgate.gateway.budget.BudgetsTest.customer;
import static dev.tollgate.gateway.budget.BudgetsTest.miniCost;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two gateways, as two replicas would be (each its own services, ledger and event loops), sharing one Redis for
 * their budget counters and rate limits: a budget and a rate limit hold across both, as if there were one gateway.
 */
class SharedBudgetsTest {

    @TempDir
    static Path dataA;
    @TempDir
    static Path dataB;
    static RedisFixture redis;
    static BudgetBed a, b;

    @BeforeAll
    static void start() throws Exception {
        redis = new RedisFixture();
        String controls = """
                redis: {url: "%s", key_prefix: "%s", timeout_ms: 10000}
                rate_limits:
                  - {scope: "customer:metered", requests_per_minute: 3}
                runaway: {enabled: false}
                anomaly: {enabled: false}
                """.formatted(RedisFixture.URL, redis.prefix);
        a = new BudgetBed(dataA, controls);
        b = new BudgetBed(dataB, controls);
    }

    @AfterAll
    static void stop() {
        if (redis == null) return; // skipped: no Redis
        a.close();
        b.close();
        redis.close();
    }

    static void createOnBoth(String json) throws Exception {
        for (BudgetBed bed : List.of(a, b)) {
            HttpResponse<String> created = bed.admin("POST", "/admin/budgets", json);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        }
    }

    static BigDecimal probe() throws Exception {
        HttpResponse<String> r = a.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("probe"));
        assertThat(r.statusCode()).isEqualTo(200);
        return miniCost(Json.parse(r.body()));
    }

    static BigDecimal ledgerSpend(BudgetBed bed, String filter) throws Exception {
        return new BigDecimal(bed.adminJson("/admin/spend?" + filter).path("total").path("cost_usd").asText());
    }

    /** The budget as a replica's admin API shows it (read from Redis), once nothing is held any more. */
    static JsonNode settledBudget(BudgetBed bed, String name) throws Exception {
        return await(() -> {
            JsonNode budget = bed.adminJson("/admin/budgets/" + name);
            return budget.path("reserved_usd").asText().equals("0") ? budget : null;
        });
    }

    @Test
    void twoHundredConcurrentRequestsOverTwoReplicasGetExactlyTheTenTheBudgetAffords() throws Exception {
        BigDecimal each = probe();
        BigDecimal limit = each.multiply(BigDecimal.TEN);
        createOnBoth("{\"name\":\"crowd\",\"scope\":\"customer:crowd\",\"period\":\"monthly\",\"limit_usd\":\"" + limit.toPlainString() + "\"}");

        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            BudgetBed bed = i % 2 == 0 ? a : b;
            calls.add(bed.http.sendAsync(bed.request("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("crowd")),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0, okOnB = 0;
        for (int i = 0; i < calls.size(); i++) {
            HttpResponse<String> r = calls.get(i).join();
            if (r.statusCode() == 200) {
                ok++;
                if (i % 2 == 1) okOnB++;
                continue;
            }
            assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
            JsonNode error = Json.parse(r.body()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("budget_exceeded");
            assertThat(error.path("message").asText()).contains("budget 'crowd'").contains("spent this month");
            assertThat(r.headers().firstValue("x-tollgate-budget").orElseThrow()).isEqualTo("crowd");
        }
        // each call costs exactly its worst case (the sandbox writes all 10 tokens), so exactly ten fit, whichever replica took them
        assertThat(ok).isEqualTo(10);
        assertThat(okOnB).isBetween(0, 10);
        BigDecimal ledgers = ledgerSpend(a, "customer=crowd").add(ledgerSpend(b, "customer=crowd"));
        assertThat(ledgers).isEqualByComparingTo(limit);
        for (BudgetBed bed : List.of(a, b)) {
            JsonNode budget = settledBudget(bed, "crowd");
            assertThat(new BigDecimal(budget.path("spent_usd").asText())).isEqualByComparingTo(limit);
            assertThat(budget.path("remaining_usd").asText()).isEqualTo("0");
        }
    }

    @Test
    void aRoomyBudgetIsCountedOnEachReplicasSliceAndStillAddsUpExactly() throws Exception {
        // a thousand dollars: each call's worst case fits in a slice (1% of the limit) many times over
        createOnBoth("{\"name\":\"roomy\",\"scope\":\"customer:roomy\",\"period\":\"monthly\",\"limit_usd\":\"1000\"}");
        for (int i = 0; i < 40; i++) {
            BudgetBed bed = i % 2 == 0 ? a : b;
            assertThat(bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("roomy")).statusCode()).isEqualTo(200);
            if (i == 1) Thread.sleep(200); // a few ticks: both replicas take a slice
        }
        // each replica holds a slice in Redis, under a name of its own
        String key = redis.keys().stream().filter(k -> k.contains("budget:roomy:")).findFirst().orElseThrow();
        long slices = 0;
        for (var field : redis.call(io.vertx.redis.client.Command.HKEYS, key)) if (field.toString().startsWith("r:lease:")) slices++;
        assertThat(slices).isEqualTo(2);
        // reading the budget reports this replica's spend and gives back its unused slice: what Redis then says is spent
        // is exactly what the two ledgers hold
        BigDecimal ledgers = ledgerSpend(a, "customer=roomy").add(ledgerSpend(b, "customer=roomy"));
        a.adminJson("/admin/budgets/roomy");
        JsonNode budget = b.adminJson("/admin/budgets/roomy");
        assertThat(new BigDecimal(budget.path("spent_usd").asText())).isEqualByComparingTo(ledgers);
        assertThat(budget.path("reserved_usd").asText()).isEqualTo("0");
    }

    @Test
    void sixHundredConcurrentRequestsOnSlicedBudgetNeverOvershootAndTheRestIsServedExactlyOnceSlicesAreBack() throws Exception {
        BigDecimal each = probe();
        // 400 calls: a slice (1% of the limit) holds four of them, so both replicas count on slices until near the limit
        BigDecimal limit = each.multiply(BigDecimal.valueOf(400));
        createOnBoth("{\"name\":\"sliced\",\"scope\":\"customer:sliced\",\"period\":\"monthly\",\"limit_usd\":\"" + limit.toPlainString() + "\"}");
        for (BudgetBed bed : List.of(a, b)) {
            assertThat(bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("sliced")).statusCode()).isEqualTo(200);
        }
        Thread.sleep(200); // a few ticks: both replicas hold slices
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            BudgetBed bed = i % 2 == 0 ? a : b;
            calls.add(bed.http.sendAsync(bed.request("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("sliced")),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 2;
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            HttpResponse<String> r = call.join();
            if (r.statusCode() == 200) ok++;
            else assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
        }
        assertThat(ok).isLessThanOrEqualTo(400);
        BigDecimal ledgers = ledgerSpend(a, "customer=sliced").add(ledgerSpend(b, "customer=sliced"));
        assertThat(ledgers).isLessThanOrEqualTo(limit);
        // once the replicas have given their slices back, what is left is served one by one, to the last call
        Thread.sleep(1500);
        for (int i = 0; ok < 400 && i < 400; i++) {
            HttpResponse<String> r = (i % 2 == 0 ? a : b).post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("sliced"));
            assertThat(r.statusCode()).as("call %d after the burst, %d served", i, ok).isEqualTo(200);
            ok++;
        }
        for (BudgetBed bed : List.of(a, b)) {
            assertThat(bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("sliced")).statusCode()).isEqualTo(429);
        }
        BigDecimal all = ledgerSpend(a, "customer=sliced").add(ledgerSpend(b, "customer=sliced"));
        assertThat(all).isEqualByComparingTo(limit);
        a.adminJson("/admin/budgets/sliced");
        JsonNode budget = b.adminJson("/admin/budgets/sliced");
        assertThat(new BigDecimal(budget.path("spent_usd").asText())).isEqualByComparingTo(limit);
    }

    @Test
    void settlingReplacesTheWorstCaseByTheRealCost() throws Exception {
        createOnBoth("{\"name\":\"settle\",\"scope\":\"customer:settle\",\"period\":\"daily\",\"limit_usd\":\"1\"}");
        // 1000 output tokens are held; the sandbox writes 32
        String body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":1000,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to the budget\"}]}";
        HttpResponse<String> first = a.post("/v1/chat/completions", body, customer("settle"));
        HttpResponse<String> second = b.post("/v1/chat/completions", body, customer("settle"));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        BigDecimal real = miniCost(Json.parse(first.body())).add(miniCost(Json.parse(second.body())));
        BigDecimal worstOfOne = new BigDecimal(1000).multiply(BudgetsTest.MINI_OUT).divide(BudgetsTest.MILLION);
        assertThat(real).isLessThan(worstOfOne);
        // each answer says what is left once it is settled; the second, served by the other replica, sees the first
        // settled only once replica a's lease has reported it (every 50 ms): until then the first's worst case is still
        // held there (1000 output tokens and its input, less than worstOfOne + firstCost), so what it says is left is
        // never more than the truth and never less than the truth minus that hold
        BigDecimal firstCost = miniCost(Json.parse(first.body()));
        assertThat(new BigDecimal(first.headers().firstValue("x-tollgate-budget-remaining-usd").orElseThrow()))
                .isEqualByComparingTo(BigDecimal.ONE.subtract(firstCost));
        assertThat(new BigDecimal(second.headers().firstValue("x-tollgate-budget-remaining-usd").orElseThrow()))
                .isLessThanOrEqualTo(BigDecimal.ONE.subtract(real))
                .isGreaterThanOrEqualTo(BigDecimal.ONE.subtract(real).subtract(worstOfOne));
        for (BudgetBed bed : List.of(a, b)) {
            JsonNode budget = settledBudget(bed, "settle");
            assertThat(new BigDecimal(budget.path("spent_usd").asText())).isEqualByComparingTo(real);
            assertThat(new BigDecimal(budget.path("remaining_usd").asText())).isEqualByComparingTo(BigDecimal.ONE.subtract(real));
        }
        assertThat(ledgerSpend(a, "customer=settle").add(ledgerSpend(b, "customer=settle"))).isEqualByComparingTo(real);
    }

    @Test
    void aRateLimitHoldsAcrossReplicas() throws Exception {
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = (i % 2 == 0 ? a : b).post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("metered"));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-ratelimit-limit-requests").orElseThrow()).isEqualTo("3");
            assertThat(r.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow()).isEqualTo(String.valueOf(2 - i));
        }
        for (BudgetBed bed : List.of(a, b)) {
            HttpResponse<String> refused = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("metered"));
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 20L);
            JsonNode error = Json.parse(refused.body()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("rate_limit_exceeded");
            assertThat(error.path("message").asText()).contains("3 requests per minute").contains("customer:metered");
        }
    }

    @Test
    void eachThresholdIsAlertedOnceAcrossBothReplicas() throws Exception {
        BigDecimal each = probe();
        BigDecimal limit = each.multiply(new BigDecimal("2.5"));
        createOnBoth("{\"name\":\"steps\",\"scope\":\"customer:steps\",\"period\":\"daily\",\"limit_usd\":\"" + limit.toPlainString()
                + "\",\"thresholds\":[40,80,100]}");
        assertThat(a.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("steps")).statusCode()).isEqualTo(200);
        assertThat(b.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("steps")).statusCode()).isEqualTo(200);
        await(() -> settledBudget(a, "steps"));
        for (int i = 0; i < 4; i++) {
            assertThat((i % 2 == 0 ? a : b).post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("steps")).statusCode())
                    .isEqualTo(429);
        }
        List<String> fired = await(() -> {
            List<String> all = thresholds(a, "steps");
            all.addAll(thresholds(b, "steps"));
            return all.size() >= 3 ? all : null;
        });
        Thread.sleep(300); // a second alert of any threshold would have been recorded by now
        List<String> again = thresholds(a, "steps");
        again.addAll(thresholds(b, "steps"));
        // refused at 80% spent: one request did not fit (alerted once across both), the budget is not exhausted
        assertThat(fired).containsExactlyInAnyOrder("40", "80", "refused");
        assertThat(again).containsExactlyInAnyOrder("40", "80", "refused");
    }

    static List<String> thresholds(BudgetBed bed, String budget) throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode alert : bed.adminJson("/admin/alerts?limit=1000").path("alerts")) {
            if (!alert.path("subject").asText().equals(budget)) continue;
            out.add(alert.path("kind").asText().equals("budget_refused") ? "refused" : alert.path("details").path("threshold_percent").asText());
        }
        return out;
    }
}
