package dev.tollgate.gateway.budget;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.store.ObservedLedger;
import dev.tollgate.store.duckdb.DuckDbLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The admin API's budget routes, and what survives a restart: run-time budgets, spend in the period, fired alerts. */
class BudgetAdminTest {

    static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    static final String[] TEAM = {"authorization", "Bearer " + BudgetBed.TEAM_KEY};
    static final String CONFIG = """
            budgets:
              - {name: from-config, scope: org, period: lifetime, limit_usd: "100"}
            runaway: {enabled: false}
            """;

    @TempDir
    Path data;

    @Test
    void createListChangeDeleteAndSurviveARestart() throws Exception {
        BigDecimal spent;
        try (BudgetBed bed = new BudgetBed(data, CONFIG)) {
            HttpResponse<String> created = bed.admin("POST", "/admin/budgets",
                    "{\"name\":\"search-monthly\",\"scope\":\"team:search\",\"period\":\"monthly\",\"limit_usd\":\"25.50\",\"time_zone\":\"America/New_York\"}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            JsonNode b = Json.parse(created.body());
            assertThat(b.path("limit_usd").asText()).isEqualTo("25.5");
            assertThat(b.path("action").asText()).isEqualTo("block");
            assertThat(b.path("thresholds").toString()).isEqualTo("[60,80,95,100]");
            assertThat(b.path("spent_usd").asText()).isEqualTo("0");
            assertThat(b.path("remaining_usd").asText()).isEqualTo("25.5");
            // the first day of next month, midnight in New York: 05:00 UTC in winter, 04:00 UTC in summer
            assertThat(b.path("resets_at").asText()).matches("20\\d\\d-\\d\\d-01T0[45]:00:00Z");

            assertThat(bed.admin("POST", "/admin/budgets", "{\"name\":\"search-monthly\",\"scope\":\"org\",\"limit_usd\":\"1\"}").statusCode()).isEqualTo(409);
            HttpResponse<String> bad = bed.admin("POST", "/admin/budgets", "{\"name\":\"x\",\"scope\":\"team\",\"limit_usd\":\"1\"}");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("scope");
            assertThat(bed.admin("POST", "/admin/budgets", "{\"name\":\"y\",\"scope\":\"org\",\"limit_usd\":\"ten\"}").statusCode()).isEqualTo(400);
            HttpResponse<String> nowhere = bed.admin("POST", "/admin/budgets",
                    "{\"name\":\"z\",\"scope\":\"org\",\"limit_usd\":\"1\",\"action\":\"downgrade\",\"downgrade_to\":\"gpt-9\"}");
            assertThat(nowhere.statusCode()).isEqualTo(400);
            assertThat(nowhere.body()).contains("downgrade_to 'gpt-9' is not a configured model");

            HttpResponse<String> call = bed.post("/v1/chat/completions", CHAT, TEAM);
            assertThat(call.statusCode()).isEqualTo(200);
            spent = new BigDecimal(call.headers().firstValue("x-tollgate-cost-usd").orElseThrow());

            HttpResponse<String> changed = bed.admin("PUT", "/admin/budgets/search-monthly", "{\"limit_usd\":\"30\",\"action\":\"notify\"}");
            assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
            JsonNode c = Json.parse(changed.body());
            assertThat(c.path("limit_usd").asText()).isEqualTo("30");
            assertThat(c.path("action").asText()).isEqualTo("notify");
            assertThat(c.path("time_zone").asText()).isEqualTo("America/New_York");
            assertThat(new BigDecimal(c.path("spent_usd").asText())).isEqualByComparingTo(spent); // a new limit keeps the spend

            JsonNode list = bed.adminJson("/admin/budgets").path("budgets");
            assertThat(list).extracting(n -> n.path("name").asText()).containsExactly("from-config", "search-monthly");
            assertThat(list.get(0).path("resets_at").isNull()).isTrue();

            assertThat(bed.admin("DELETE", "/admin/budgets/from-config", null).statusCode()).isEqualTo(200);
            assertThat(bed.admin("GET", "/admin/budgets/from-config", null).statusCode()).isEqualTo(404);
            assertThat(bed.admin("DELETE", "/admin/budgets/nope", null).statusCode()).isEqualTo(404);
            assertThat(bed.admin("GET", "/admin/budgets", null).statusCode()).isEqualTo(200);
            assertThat(bed.admin("GET", "/admin/alerts?limit=0", null).statusCode()).isEqualTo(400);
        }
        // a new gateway on the same data directory: the run-time budget is back with its spend, the deleted one is gone
        try (BudgetBed bed = new BudgetBed(data, CONFIG)) {
            JsonNode list = bed.adminJson("/admin/budgets").path("budgets");
            assertThat(list).extracting(n -> n.path("name").asText()).containsExactly("search-monthly");
            assertThat(list.get(0).path("limit_usd").asText()).isEqualTo("30");
            assertThat(new BigDecimal(list.get(0).path("spent_usd").asText())).isEqualByComparingTo(spent);
        }
    }

    @Test
    void aConfigBudgetThatDowngradesToAnUnknownModelStopsStartUp() throws Exception {
        GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse("""
                models: [{name: gpt-4o, provider: p}]
                providers: {p: {type: openai}}
                spend_controls:
                  budgets: [{name: cheap, scope: org, limit_usd: "1", action: downgrade, downgrade_to: gpt-9}]
                """);
        try (DuckDbLedger ledger = DuckDbLedger.open(data)) {
            assertThatThrownBy(() -> BudgetService.start(config, ObservedLedger.of(ledger), ledger.budgetStore(), Clock.systemUTC()))
                    .hasMessageContaining("budget 'cheap': downgrade_to 'gpt-9' is not a configured model (gpt-4o)");
        }
    }

    @Test
    void thresholdsAlreadyAlertedAreNotAlertedAgainAfterARestart() throws Exception {
        String config = """
                budgets:
                  - {name: tiny, scope: "team:search", period: daily, limit_usd: "0.000001", action: notify}
                runaway: {enabled: false}
                """;
        try (BudgetBed bed = new BudgetBed(data, config)) {
            assertThat(bed.post("/v1/chat/completions", CHAT, TEAM).statusCode()).isEqualTo(200);
            BudgetsTest.await(() -> bed.adminJson("/admin/alerts").path("alerts").size() >= 5 ? true : null);
        }
        try (BudgetBed bed = new BudgetBed(data, config)) {
            assertThat(bed.post("/v1/chat/completions", CHAT, TEAM).statusCode()).isEqualTo(200);
            Thread.sleep(300);
            JsonNode alerts = bed.adminJson("/admin/alerts").path("alerts");
            // the thresholds, and the first request that did not fit (before anything was spent), each once per period
            assertThat(alerts).hasSize(5);
            assertThat(alerts).extracting(a -> a.path("kind").asText().equals("budget_refused") ? "refused"
                            : a.path("details").path("threshold_percent").asText())
                    .containsExactlyInAnyOrder("refused", "60", "80", "95", "100");
        }
    }

    @Test
    void runawayKeysAreAlertedAndThrottled() throws Exception {
        String config = """
                runaway: {same_prompt: 5, window_minutes: 10, throttle_minutes: 1}
                """;
        try (BudgetBed bed = new BudgetBed(data, config)) {
            String[] loop = {"authorization", "Bearer " + BudgetBed.LOOP_KEY};
            for (int i = 0; i < 5; i++) assertThat(bed.post("/v1/chat/completions", CHAT, loop).statusCode()).isEqualTo(200);
            HttpResponse<String> throttled = bed.post("/v1/chat/completions", CHAT, loop);
            assertThat(throttled.statusCode()).isEqualTo(429);
            assertThat(Json.parse(throttled.body()).path("error").path("code").asText()).isEqualTo("runaway_throttled");
            assertThat(Long.parseLong(throttled.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 60L);
            // other keys are not affected, even with the same prompt
            assertThat(bed.post("/v1/chat/completions", CHAT, TEAM).statusCode()).isEqualTo(200);
            JsonNode alert = BudgetsTest.await(() -> {
                JsonNode a = bed.adminJson("/admin/alerts").path("alerts");
                return a.size() > 0 ? a.get(0) : null;
            });
            assertThat(alert.path("kind").asText()).isEqualTo("runaway");
            assertThat(alert.path("subject").asText()).isEqualTo("key:loop");
            assertThat(alert.path("message").asText()).contains("the same request 5 times");
        }
    }
}
