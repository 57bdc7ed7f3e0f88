package dev.tollgate.gateway.budget;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** Budgets end to end through the real gateway and the sandbox provider: exact reservation, block, notify, downgrade, alerts. */
class BudgetsTest {

    static final BigDecimal MILLION = new BigDecimal(1_000_000);
    /** Catalog list prices, USD per million tokens (openai.com/api/pricing, anthropic.com/pricing). */
    static final BigDecimal MINI_IN = new BigDecimal("0.15"), MINI_OUT = new BigDecimal("0.60");
    static final BigDecimal HAIKU_IN = new BigDecimal("1"), HAIKU_OUT = new BigDecimal("5");
    static final String SECRET = "whsec-test";
    static final String CHAT = "{\"model\":\"%s\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to the budget\"}]}";
    static final String[] TEAM = {"authorization", "Bearer " + BudgetBed.TEAM_KEY};

    @TempDir
    static Path data;
    static WebhookReceiver hooks;
    static BudgetBed bed;

    @BeforeAll
    static void start() throws Exception {
        startWith("");
    }

    /** Starts the gateway with these budgets, rate limits and alert channels, and {@code more} spend controls. */
    static void startWith(String more) throws Exception {
        hooks = new WebhookReceiver(1);
        bed = new BudgetBed(data, more + """
                time_zone: Europe/Berlin
                budgets:
                  - {name: chatty, scope: "customer:chatty", period: daily, limit_usd: "0.000001", action: notify}
                  - {name: frugal, scope: "customer:frugal", period: monthly, limit_usd: "0", action: downgrade, downgrade_to: gpt-4o-mini}
                  - {name: team-search, scope: "team:search", period: monthly, limit_usd: "1000"}
                rate_limits:
                  - {scope: "customer:metered", requests_per_minute: 3}
                  - {scope: "customer:wordy", tokens_per_minute: 100}
                  - {scope: "customer:metered-claude", requests_per_minute: 1}
                  - {scope: "key:loop", requests_per_minute: 10}
                sandbox_keys:
                  - {key: learner, cap_usd: "0.00002"}
                alerts:
                  first_backoff_ms: 50
                  channels:
                    - {type: slack, url: "%s"}
                    - {type: webhook, url: "%s", secret: "%s"}
                    - {type: webhook, url: "%s", secret: "%s"}
                runaway: {enabled: false}
                """.formatted(hooks.url("/slack"), hooks.url("/hook"), SECRET, hooks.url("/flaky"), SECRET));
    }

    @AfterAll
    static void stop() {
        if (bed == null) return; // the Redis subclass was skipped: no Redis
        bed.close();
        hooks.close();
    }

    static String[] customer(String name) {
        return new String[] {TEAM[0], TEAM[1], "x-tollgate-tags", "customer=" + name};
    }

    /** The cost of one {@link #CHAT} request to gpt-4o-mini, from the usage the sandbox reports and the list prices. */
    static BigDecimal miniCost(JsonNode answer) {
        JsonNode u = answer.path("usage");
        return BigDecimal.valueOf(u.path("prompt_tokens").asLong()).multiply(MINI_IN)
                .add(BigDecimal.valueOf(u.path("completion_tokens").asLong()).multiply(MINI_OUT)).divide(MILLION);
    }

    static BigDecimal probeMini() throws Exception {
        HttpResponse<String> probe = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("probe"));
        assertThat(probe.statusCode()).isEqualTo(200);
        JsonNode answer = Json.parse(probe.body());
        assertThat(answer.path("usage").path("completion_tokens").asLong()).isEqualTo(10);
        return miniCost(answer);
    }

    static BigDecimal spent(String filter) throws Exception {
        return new BigDecimal(bed.adminJson("/admin/spend?" + filter).path("total").path("cost_usd").asText());
    }

    static void createBudget(String json) throws Exception {
        HttpResponse<String> created = bed.admin("POST", "/admin/budgets", json);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    @Test
    void twoHundredConcurrentRequestsNeverSpendPastABudgetThatAffordsTen() throws Exception {
        BigDecimal each = probeMini();
        BigDecimal limit = each.multiply(BigDecimal.TEN);
        createBudget("{\"name\":\"crowd\",\"scope\":\"customer:crowd\",\"period\":\"monthly\",\"limit_usd\":\"" + limit.toPlainString() + "\"}");

        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            calls.add(bed.http.sendAsync(bed.request("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("crowd")),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        for (var call : calls) {
            HttpResponse<String> r = call.join();
            if (r.statusCode() == 200) {
                ok++;
                continue;
            }
            assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
            JsonNode error = Json.parse(r.body()).path("error");
            assertThat(error.path("type").asText()).isEqualTo("budget_exceeded");
            assertThat(error.path("code").asText()).isEqualTo("budget_exceeded");
            assertThat(error.path("message").asText()).contains("budget 'crowd'").contains("of $").contains("spent this month")
                    .contains("resets 2026-12-01").contains("Europe/Berlin");
            assertThat(r.headers().firstValue("x-tollgate-budget").orElseThrow()).isEqualTo("crowd");
            assertThat(r.headers().firstValue("x-should-retry")).hasValue("false");
        }
        // each call costs exactly its worst case (the sandbox writes all 10 tokens), so exactly ten fit
        assertThat(ok).isEqualTo(10);
        assertThat(spent("customer=crowd")).isLessThanOrEqualTo(limit).isEqualByComparingTo(limit);
        JsonNode budget = Json.parse(bed.admin("GET", "/admin/budgets/crowd", null).body());
        assertThat(new BigDecimal(budget.path("spent_usd").asText())).isEqualByComparingTo(limit);
        assertThat(budget.path("reserved_usd").asText()).isEqualTo("0");
        assertThat(budget.path("remaining_usd").asText()).isEqualTo("0");
    }

    @Test
    void anthropicClientsGetTheirOwnErrorFormat() throws Exception {
        String body = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to the budget\"}]}";
        HttpResponse<String> probe = bed.post("/v1/messages", body, "x-api-key", BudgetBed.TEAM_KEY, "x-tollgate-tags", "customer=probe");
        JsonNode usage = Json.parse(probe.body()).path("usage");
        BigDecimal each = BigDecimal.valueOf(usage.path("input_tokens").asLong()).multiply(HAIKU_IN)
                .add(BigDecimal.valueOf(usage.path("output_tokens").asLong()).multiply(HAIKU_OUT)).divide(MILLION);
        BigDecimal limit = each.multiply(BigDecimal.valueOf(5));
        createBudget("{\"name\":\"claude-crowd\",\"scope\":\"customer:claude-crowd\",\"period\":\"weekly\",\"limit_usd\":\"" + limit.toPlainString() + "\"}");

        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        java.time.Instant sent = bed.clock.instant(); // retry-after is counted when a refusal is made, after this
        for (int i = 0; i < 50; i++) {
            calls.add(bed.http.sendAsync(bed.request("/v1/messages", body, "x-api-key", BudgetBed.TEAM_KEY,
                    "anthropic-version", "2023-06-01", "x-tollgate-tags", "customer=claude-crowd"), HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        for (var call : calls) {
            HttpResponse<String> r = call.join();
            if (r.statusCode() == 200) {
                ok++;
                continue;
            }
            assertThat(r.statusCode()).isEqualTo(429);
            JsonNode json = Json.parse(r.body());
            assertThat(json.path("type").asText()).isEqualTo("error");
            assertThat(json.path("error").path("type").asText()).isEqualTo("budget_exceeded");
            assertThat(json.path("error").path("message").asText()).contains("budget 'claude-crowd'").contains("this week");
            // the week ends next Monday 00:00 in Berlin; retry-after counts the seconds to it
            java.time.Instant reset = java.time.Instant.parse(r.headers().firstValue("x-tollgate-budget-reset").orElseThrow());
            java.time.ZonedDateTime local = reset.atZone(java.time.ZoneId.of("Europe/Berlin"));
            assertThat(local.getDayOfWeek()).isEqualTo(java.time.DayOfWeek.MONDAY);
            assertThat(local.toLocalTime()).isEqualTo(java.time.LocalTime.MIDNIGHT);
            long retry = Long.parseLong(r.headers().firstValue("retry-after").orElseThrow());
            assertThat(retry).isBetween(java.time.Duration.between(bed.clock.instant(), reset).getSeconds() - 60,
                    java.time.Duration.between(sent, reset).getSeconds() + 1);
        }
        assertThat(ok).isBetween(1, 5);
        assertThat(spent("customer=claude-crowd")).isLessThanOrEqualTo(limit);
    }

    @Test
    void theOpenAiSdkDoesNotRetryARefusalByABudget() throws Exception {
        createBudget("{\"name\":\"none-left\",\"scope\":\"customer:none-left\",\"period\":\"daily\",\"limit_usd\":\"0\"}");
        com.openai.client.OpenAIClient sdk = com.openai.client.okhttp.OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1")
                .apiKey(BudgetBed.LOOP_KEY).maxRetries(2).build();
        var params = com.openai.models.chat.completions.ChatCompletionCreateParams.builder().model("gpt-4o-mini").maxCompletionTokens(5)
                .addUserMessage("Say hello to the budget").putAdditionalHeader("x-tollgate-tags", "customer=none-left").build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> sdk.chat().completions().create(params))
                .isInstanceOf(com.openai.errors.RateLimitException.class).hasMessageContaining("budget 'none-left'");
        // the loop key's ten requests a minute count every attempt: the SDK made one, this call is the second
        HttpResponse<String> next = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"),
                "authorization", "Bearer " + BudgetBed.LOOP_KEY, "x-tollgate-tags", "customer=other");
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(next.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("8");
    }

    @Test
    void everyBudgetIsAGaugeOnTheMetricsPage() throws Exception {
        BigDecimal each = probeMini();
        createBudget("{\"name\":\"gauged\",\"scope\":\"customer:gauged\",\"period\":\"monthly\",\"limit_usd\":\"1.5\"}");
        for (int i = 0; i < 2; i++) {
            assertThat(bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("gauged")).statusCode()).isEqualTo(200);
        }
        // budgets shared through Redis count on a lease and report it every 50 ms: the gauge may lag that long
        double expected = each.multiply(BigDecimal.TWO).doubleValue();
        dev.tollgate.gateway.observe.PrometheusText metrics;
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        do {
            HttpResponse<String> page = bed.http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(bed.gateway.baseUrl() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            metrics = new dev.tollgate.gateway.observe.PrometheusText(page.body());
        } while (Math.abs(metrics.sum("tollgate_budget_spent_usd", "budget", "gauged", "scope", "customer:gauged", "period", "monthly")
                - expected) > 1e-15 && System.nanoTime() < deadline && sleep(20));
        assertThat(metrics.sum("tollgate_budget_limit_usd", "budget", "gauged")).isEqualTo(1.5);
        assertThat(metrics.sum("tollgate_budget_spent_usd", "budget", "gauged", "scope", "customer:gauged", "period", "monthly"))
                .isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(metrics.sum("tollgate_budget_reserved_usd", "budget", "gauged")).isZero();
    }

    private static boolean sleep(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return true;
    }

    @Test
    void thresholdsAlertOncePerPeriodAndHeadersTellWhatIsLeft() throws Exception {
        BigDecimal each = probeMini();
        BigDecimal limit = each.multiply(new BigDecimal("2.5"));
        createBudget("{\"name\":\"steps\",\"scope\":\"customer:steps\",\"period\":\"daily\",\"limit_usd\":\"" + limit.toPlainString()
                + "\",\"thresholds\":[40,80]}");

        HttpResponse<String> first = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("steps"));
        assertThat(first.statusCode()).isEqualTo(200);
        // 1.5 requests' worth is left; the team budget ($1000) is looser, so this one is the tightest
        assertThat(new BigDecimal(first.headers().firstValue("x-tollgate-budget-remaining-usd").orElseThrow()))
                .isEqualByComparingTo(each.multiply(new BigDecimal("1.5")));
        assertThat(first.headers().firstValue("x-tollgate-budget").orElseThrow()).isEqualTo("steps");
        assertThat(bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("steps")).statusCode()).isEqualTo(200);
        for (int i = 0; i < 3; i++) {
            assertThat(bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("steps")).statusCode()).isEqualTo(429);
        }
        List<JsonNode> alerts = awaitAlerts("steps", 2);
        assertThat(alerts).extracting(a -> a.path("details").path("threshold_percent").asText()).containsExactly("80", "40");
        assertThat(alerts.get(0).path("kind").asText()).isEqualTo("budget_threshold");
        assertThat(alerts.get(1).path("message").asText()).contains("reached 40%");
        Thread.sleep(200);
        assertThat(alertsFor("steps")).hasSize(2); // not again for the refused requests
    }

    @Test
    void notifyLetsTheRequestThroughAndAlertsEveryChannel() throws Exception {
        HttpResponse<String> r = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("chatty"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-tollgate-budget-remaining-usd").orElseThrow()).isEqualTo("0");
        assertThat(bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("chatty")).statusCode()).isEqualTo(200);
        JsonNode alert = awaitAlerts("chatty", 5).stream().filter(a -> a.path("kind").asText().equals("budget_exceeded"))
                .findFirst().orElseThrow();
        assertThat(alert.path("message").asText()).contains("budget 'chatty'").contains("exhausted").contains("notify");
        // the first request did not fit before anything was spent: that alert says so, and only the spend exhausts it
        JsonNode first = alertsFor("chatty").stream().filter(a -> a.path("kind").asText().equals("budget_refused")).findFirst().orElseThrow();
        assertThat(first.path("message").asText()).contains("could not afford one request").contains("let through (notify only)")
                .doesNotContain("exhausted");
        assertThat(alertsFor("chatty")).filteredOn(a -> !a.path("kind").asText().equals("budget_refused"))
                .extracting(a -> a.path("details").path("threshold_percent").asText())
                .containsExactlyInAnyOrder("60", "80", "95", "100");

        // the signed webhook: verify the HMAC over the exact body with the shared secret, independently
        WebhookReceiver.Received hook = await(() -> hooks.at("/hook").stream().filter(h -> h.body().contains("\"chatty\"")
                && h.body().contains("budget_exceeded")).findFirst().orElse(null));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(hook.body().getBytes(StandardCharsets.UTF_8)));
        assertThat(hook.header("x-tollgate-signature")).isEqualTo(expected);
        assertThat(Json.parse(hook.body()).path("details").path("budget").asText()).isEqualTo("chatty");
        // Slack gets text
        WebhookReceiver.Received slack = await(() -> hooks.at("/slack").stream().filter(h -> h.body().contains("chatty")).findFirst().orElse(null));
        assertThat(Json.parse(slack.body()).path("text").asText()).contains("budget 'chatty'");
        // a channel that fails first is retried until it takes the alert
        await(() -> hooks.at("/flaky").stream().filter(h -> h.answered() == 200).findFirst().orElse(null));
        assertThat(hooks.at("/flaky").getFirst().answered()).isEqualTo(503);
    }

    @Test
    void downgradeServesTheCheaperModel() throws Exception {
        HttpResponse<String> r = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o"), customer("frugal"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-tollgate-downgraded-from").orElseThrow()).isEqualTo("gpt-4o");
        JsonNode answer = Json.parse(r.body());
        assertThat(answer.path("model").asText()).startsWith("gpt-4o-mini");
        // priced as the model that served it
        assertThat(new BigDecimal(r.headers().firstValue("x-tollgate-cost-usd").orElseThrow())).isEqualByComparingTo(miniCost(answer));
        JsonNode rows = bed.adminJson("/admin/spend?group_by=deployment,requested_model&customer=frugal").path("rows");
        assertThat(rows.get(0).path("deployment").asText()).isEqualTo("gpt-4o-mini");
        assertThat(rows.get(0).path("requested_model").asText()).isEqualTo("gpt-4o");
        // what routing saved: the same usage at gpt-4o's list prices ($2.50 / $10 per million) less what gpt-4o-mini cost
        JsonNode u = answer.path("usage");
        BigDecimal asked = BigDecimal.valueOf(u.path("prompt_tokens").asLong()).multiply(new BigDecimal("2.50"))
                .add(BigDecimal.valueOf(u.path("completion_tokens").asLong()).multiply(BigDecimal.TEN)).divide(MILLION);
        assertThat(rows.get(0).path("saved_usd").decimalValue()).isEqualByComparingTo(asked.subtract(miniCost(answer)));
    }

    @Test
    void requestRateLimitWithOpenAiHeaders() throws Exception {
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("metered"));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-ratelimit-limit-requests").orElseThrow()).isEqualTo("3");
            assertThat(r.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow()).isEqualTo(String.valueOf(2 - i));
            assertThat(r.headers().firstValue("x-ratelimit-reset-requests").orElseThrow()).matches("\\d+(\\.\\d+)?(ms|s)|\\d+m\\d+s");
        }
        HttpResponse<String> refused = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("metered"));
        assertThat(refused.statusCode()).isEqualTo(429);
        // a third of a minute's refill (one request of three per minute) is at most 20 s away
        assertThat(Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 20L);
        assertThat(refused.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow()).isEqualTo("0");
        JsonNode error = Json.parse(refused.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(error.path("type").asText()).isEqualTo("requests");
        assertThat(error.path("message").asText()).contains("3 requests per minute").contains("customer:metered");
        // a request outside the scope is not limited
        assertThat(bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), customer("other")).statusCode()).isEqualTo(200);
    }

    @Test
    void anthropicClientsGetTheRateLimitInTheirOwnErrorFormat() throws Exception {
        String body = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
        String[] headers = {"x-api-key", BudgetBed.TEAM_KEY, "anthropic-version", "2023-06-01", "x-tollgate-tags", "customer=metered-claude"};
        HttpResponse<String> first = bed.post("/v1/messages", body, headers);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
        HttpResponse<String> refused = bed.post("/v1/messages", body, headers);
        assertThat(refused.statusCode()).isEqualTo(429);
        JsonNode json = Json.parse(refused.body());
        // Anthropic's error shape: {"type":"error","error":{"type":"rate_limit_error","message":...}}
        assertThat(json.path("type").asText()).isEqualTo("error");
        assertThat(json.path("error").path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(json.path("error").path("message").asText()).contains("1 requests per minute").contains("customer:metered-claude");
        // one request a minute refills in at most 60 s
        assertThat(Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 60L);
        assertThat(refused.headers().firstValue("x-ratelimit-limit-requests")).hasValue("1");
    }

    @Test
    void tokenRateLimitIsCorrectedToWhatTheCallUsed() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":40,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to the budget\"}]}";
        HttpResponse<String> r = bed.post("/v1/chat/completions", body, customer("wordy"));
        assertThat(r.statusCode()).isEqualTo(200);
        long used = Json.parse(r.body()).path("usage").path("total_tokens").asLong();
        // 40 output tokens were held, the sandbox wrote 32; the header reports the bucket after the correction
        long remaining = Long.parseLong(r.headers().firstValue("x-ratelimit-remaining-tokens").orElseThrow());
        assertThat(remaining).isBetween(100 - used, 100 - used + 2);
        assertThat(r.headers().firstValue("x-ratelimit-limit-tokens").orElseThrow()).isEqualTo("100");
        HttpResponse<String> second = bed.post("/v1/chat/completions", body.replace("40", "90"), customer("wordy"));
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(Json.parse(second.body()).path("error").path("type").asText()).isEqualTo("tokens");
    }

    @Test
    void sandboxKeysStayInTheSandboxAndUnderTheirCap() throws Exception {
        String[] learner = {"authorization", "Bearer " + BudgetBed.LEARNER_KEY};
        HttpResponse<String> prod = bed.post("/v1/chat/completions", CHAT.formatted("prod-gpt-4o-mini"), learner);
        assertThat(prod.statusCode()).isEqualTo(403);
        assertThat(Json.parse(prod.body()).path("error").path("message").asText()).contains("sandbox key").contains("prod-gpt-4o-mini");
        int ok = 0;
        HttpResponse<String> last = null;
        for (int i = 0; i < 6; i++) {
            last = bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), learner);
            if (last.statusCode() == 200) ok++;
        }
        assertThat(ok).isBetween(1, 5);
        assertThat(last.statusCode()).isEqualTo(429);
        assertThat(Json.parse(last.body()).path("error").path("message").asText()).contains("budget 'sandbox:learner'").contains("never (lifetime budget)");
        assertThat(spent("key=learner")).isLessThanOrEqualTo(new BigDecimal("0.00002"));
    }

    @Test
    void failedCallsReleaseTheirReservation() throws Exception {
        createBudget("{\"name\":\"fragile\",\"scope\":\"customer:fragile\",\"period\":\"daily\",\"limit_usd\":\"1\"}");
        for (int i = 0; i < 3; i++) {
            assertThat(bed.post("/v1/chat/completions", CHAT.formatted("broken-model"), customer("fragile")).statusCode()).isEqualTo(500);
        }
        JsonNode budget = Json.parse(bed.admin("GET", "/admin/budgets/fragile", null).body());
        assertThat(budget.path("spent_usd").asText()).isEqualTo("0");
        assertThat(budget.path("reserved_usd").asText()).isEqualTo("0");
    }

    @Test
    void streamsSettleToTheirMeteredCostEvenWhenCut() throws Exception {
        createBudget("{\"name\":\"streamer\",\"scope\":\"customer:streamer\",\"period\":\"daily\",\"limit_usd\":\"1\"}");
        String stream = "{\"model\":\"%s\",\"stream\":true,\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"Stream to the budget\"}]}";
        HttpResponse<String> whole = bed.post("/v1/chat/completions", stream.formatted("gpt-4o-mini"), customer("streamer"));
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body()).contains("data: [DONE]");
        // a stream the provider cuts off: metering counts what was sent (estimated) and the budget settles to that
        HttpResponse<String> cut = bed.post("/v1/chat/completions", stream.formatted("cutting-model"), customer("streamer"));
        assertThat(cut.statusCode()).isEqualTo(200);
        JsonNode budget = Json.parse(bed.admin("GET", "/admin/budgets/streamer", null).body());
        assertThat(budget.path("reserved_usd").asText()).isEqualTo("0");
        BigDecimal ledger = spent("customer=streamer");
        assertThat(ledger.signum()).isPositive();
        assertThat(new BigDecimal(budget.path("spent_usd").asText())).isEqualByComparingTo(ledger);
        JsonNode rows = bed.adminJson("/admin/spend?group_by=deployment&customer=streamer").path("rows");
        assertThat(rows).hasSize(2);
    }

    static List<JsonNode> alertsFor(String budget) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode a : bed.adminJson("/admin/alerts?limit=1000").path("alerts")) {
            if (a.path("subject").asText().equals(budget)) out.add(a);
        }
        return out;
    }

    static List<JsonNode> awaitAlerts(String budget, int count) throws Exception {
        return await(() -> {
            List<JsonNode> found = alertsFor(budget);
            return found.size() >= count ? found : null;
        });
    }

    interface Probe<T> {
        T get() throws Exception;
    }

    static <T> T await(Probe<T> probe) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            T value = probe.get();
            if (value != null) return value;
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting");
            Thread.sleep(25);
        }
    }
}
