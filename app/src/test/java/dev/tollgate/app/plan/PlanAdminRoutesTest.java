package dev.tollgate.app.plan;

import dev.tollgate.app.GatewayLink;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static dev.tollgate.app.plan.PlanCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The planner served by a real gateway ({@code /admin/plan/forecast}, {@code /admin/plan/whatif}), and the plan
 * commands asking that gateway while it holds the ledger file.
 *
 * <p>The ledger: 40 days (Oct 1 to Nov 9, 2026, at noon UTC) of one gpt-4o call for team search by key search-app,
 * 400,000 tokens in and 100,000 out, which at gpt-4o's $2.50 / $10 per million is $1.00 + $1.00 = $2.00; and one
 * gpt-4o-mini call for team ads by key ads-app, recorded at $1 on even days and $3 on odd days.
 */
class PlanAdminRoutesTest {

    static final String TOKEN = "plan-secret";
    static final Instant FIRST = Instant.parse("2026-10-01T12:00:00Z");
    static final String AS_OF = "2026-11-10T00:00:00Z";

    @TempDir
    static Path data;
    static Vertx vertx;
    static DuckDbLedger ledger;
    static GatewayServices services;
    static Gateway gateway;
    /** What the plan commands printed from the file before the gateway opened it. */
    static PlanCommandTest.Run forecastFromFile;
    static PlanCommandTest.Run whatIfFromFile;
    static PlanCommandTest.Run capacityFromFile;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        try (DuckDbLedger writing = DuckDbLedger.open(data)) {
            for (int day = 0; day < 40; day++) {
                Instant at = FIRST.plusSeconds(86_400L * day);
                writing.append(new LedgerEntry(at, "s" + day, "search-app", Map.of("team", "search"), "openai.chat", "openai", "gpt-4o",
                        "gpt-4o", "gpt-4o", new Usage(400_000, 0, 0, 0, 100_000, 0), new BigDecimal("2.00"), "gpt-4o@2024-10-01",
                        200, null, 1000, 500, false, false));
                writing.append(new LedgerEntry(at.plusSeconds(60), "a" + day, "ads-app", Map.of("team", "ads"), "openai.chat", "openai-mini",
                        "gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", new Usage(1000, 0, 0, 0, 100, 0), new BigDecimal(day % 2 == 0 ? "1" : "3"),
                        "gpt-4o-mini@2024-07-18", 200, null, 1000, 500, false, false));
            }
        }
        forecastFromFile = run("forecast", "--data", data.toString(), "--by", "team", "--as-of", AS_OF, "--format", "json");
        whatIfFromFile = run("whatif", "--data", data.toString(), "--route", "gpt-4o->gpt-4o-mini", "--by", "team", "--format", "json");
        capacityFromFile = run("capacity", "--ledger-provider", "openai", "--data", data.toString(), "--batch", "1", "--format", "json");
        assertThat(forecastFromFile.exit()).as(forecastFromFile.err()).isZero();
        assertThat(whatIfFromFile.exit()).as(whatIfFromFile.err()).isZero();
        assertThat(capacityFromFile.exit()).as(capacityFromFile.err()).isZero();

        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        var config = new ConfigLoader(Map.<String, String>of()::get).parse("""
                admin: {token: %s}
                providers: {sandbox: {type: openai, base_url: "http://127.0.0.1:1/v1"}}
                models: [{name: gpt-4o, provider: sandbox}]
                spend_controls:
                  budgets:
                    - {name: search-monthly, scope: "team:search", period: monthly, limit_usd: "50", time_zone: UTC}
                    - {name: search-app-monthly, scope: "key:search-app", period: monthly, limit_usd: "100", time_zone: UTC}
                    - {name: org-daily, scope: org, period: daily, limit_usd: "1000", time_zone: UTC}
                """.formatted(TOKEN));
        ledger = DuckDbLedger.open(data);
        services = GatewayServices.of(config, PriceCatalog.bundled(), ledger).withAdminRoutes(PlanAdminRoutes.all());
        gateway = Gateway.start(vertx, services, 0, 1).await();
        GatewayLink.announce(data, gateway.baseUrl(), TOKEN); // as serve does
    }

    @AfterAll
    static void stop() {
        GatewayLink.withdraw(data);
        gateway.close();
        services.budgets().close();
        ledger.close();
        vertx.close().await();
    }

    static HttpResponse<String> call(String method, String pathAndQuery, String body, String token) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + pathAndQuery))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) r.header("authorization", "Bearer " + token);
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode ok(String method, String pathAndQuery, String body) throws Exception {
        HttpResponse<String> response = call(method, pathAndQuery, body, TOKEN);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return WhatIfOptions.JSON.readTree(response.body());
    }

    @Test
    void forecastPerScopeWithIntervalsAndBudgets() throws Exception {
        JsonNode f = ok("GET", "/admin/plan/forecast?by=team&as_of=" + AS_OF, null);
        assertThat(f.path("month").asText()).isEqualTo("2026-11");
        assertThat(f.path("history_days").asInt()).isEqualTo(56);
        JsonNode ads = f.path("scopes").get(0);
        JsonNode search = f.path("scopes").get(1);
        assertThat(ads.path("scope").asText()).isEqualTo("ads");
        assertThat(search.path("scope").asText()).isEqualTo("search");
        // search: $2 a day; as of Nov 10 00:00, 9 days spent and 21 to come; no spread, so no interval
        assertThat(search.path("spent_usd").decimalValue()).isEqualByComparingTo("18");
        assertThat(search.path("forecast_usd").decimalValue()).isEqualByComparingTo("60");
        assertThat(search.path("low_usd").decimalValue()).isEqualByComparingTo("60");
        assertThat(search.path("high_usd").decimalValue()).isEqualByComparingTo("60");
        // ads: Nov 1..9 are days 31..39: odd days $3 (31, 33, 35, 37, 39), even days $1 (32, 34, 36, 38) = 15 + 4
        assertThat(ads.path("spent_usd").decimalValue()).isEqualByComparingTo("19");
        BigDecimal expected = ads.path("forecast_usd").decimalValue();
        assertThat(ads.path("low_usd").decimalValue()).isLessThan(expected);
        assertThat(ads.path("high_usd").decimalValue()).isGreaterThan(expected);
        // $2 a day on average for the 21 days left, give or take what the weekday pattern makes of the alternation
        assertThat(expected.doubleValue()).isBetween(19 + 21 * 1.5, 19 + 21 * 2.5);

        // the same numbers as plan forecast printed from the file itself
        JsonNode rows = forecastFromFile.table("Month-end forecast").path("rows");
        assertThat(rows.get(0).path("team").asText()).isEqualTo("ads");
        assertThat(rows.get(0).path("month-end forecast").decimalValue()).isEqualByComparingTo(expected);
        assertThat(rows.get(0).path("95% interval low").decimalValue()).isEqualByComparingTo(ads.path("low_usd").decimalValue());
        assertThat(rows.get(0).path("95% interval high").decimalValue()).isEqualByComparingTo(ads.path("high_usd").decimalValue());
        // the trend is dollars to a millionth here as there, not the least-squares fit's double with its binary tail
        assertThat(ads.path("trend_usd_per_day").decimalValue()).isEqualByComparingTo(rows.get(0).path("trend $/day/day").decimalValue());
        assertThat(ads.path("trend_usd_per_day").decimalValue().scale()).isLessThanOrEqualTo(6);
        assertThat(call("GET", "/admin/plan/forecast?by=team&as_of=" + AS_OF, null, TOKEN).body())
                .doesNotContainPattern("[0-9]\\.[0-9]{13,}").doesNotContainPattern("[0-9][eE]-[0-9]");

        // live monthly budgets only (org-daily is not a month): search reaches $50 on Nov 25 (18 + 2 x 16 days from Nov 10)
        JsonNode budgets = f.path("budgets");
        assertThat(budgets).hasSize(2);
        assertThat(budgets.get(0).path("name").asText()).isEqualTo("search-monthly");
        assertThat(budgets.get(0).path("scope").asText()).isEqualTo("team:search");
        assertThat(budgets.get(0).path("limit_usd").decimalValue()).isEqualByComparingTo("50");
        assertThat(budgets.get(0).path("spent_usd").decimalValue()).isEqualByComparingTo("18");
        assertThat(budgets.get(0).path("exhausted_on").asText()).isEqualTo("2026-11-25");
        assertThat(budgets.get(0).path("crossed").asBoolean()).isFalse();
        // a key's budget: the same traffic, $100 lasts the month
        assertThat(budgets.get(1).path("name").asText()).isEqualTo("search-app-monthly");
        assertThat(budgets.get(1).path("forecast_usd").decimalValue()).isEqualByComparingTo("60");
        assertThat(budgets.get(1).path("exhausted_on").isNull()).isTrue();

        // the whole ledger: $2 + $2 on average a day
        JsonNode all = ok("GET", "/admin/plan/forecast?as_of=" + AS_OF, null).path("scopes");
        assertThat(all).hasSize(1);
        assertThat(all.get(0).path("scope").asText()).isEqualTo("all");
        assertThat(all.get(0).path("spent_usd").decimalValue()).isEqualByComparingTo("37");
        assertThat(all.get(0).path("forecast_usd").decimalValue()).isEqualByComparingTo(expected.add(new BigDecimal("60")));
    }

    @Test
    void whatIfReplaysThroughTheGatewaysOwnConnection() throws Exception {
        JsonNode w = ok("POST", "/admin/plan/whatif", "{\"routes\":[\"gpt-4o->gpt-4o-mini\"],\"by\":\"team\"}");
        // before: 40 x $2 + ads (20 x $1 + 20 x $3 = $80) = $160; gpt-4o-mini for the search calls:
        // 400,000 x $0.15 + 100,000 x $0.60 per million = $0.06 + $0.06 = $0.12 each, 40 x 0.12 = $4.80
        assertThat(w.path("rows").asLong()).isEqualTo(80);
        assertThat(w.path("before_usd").decimalValue()).isEqualByComparingTo("160");
        assertThat(w.path("after_usd").decimalValue()).isEqualByComparingTo("84.8");
        assertThat(w.path("saving_usd").decimalValue()).isEqualByComparingTo("75.2");
        assertThat(w.path("saving_by_part").path("routing").decimalValue()).isEqualByComparingTo("75.2");
        assertThat(w.path("routed").asLong()).isEqualTo(40);
        assertThat(w.path("by_scope").path("search").path("after_usd").decimalValue()).isEqualByComparingTo("4.8");
        assertThat(w.path("by_scope").path("ads").path("saving_usd").decimalValue()).isEqualByComparingTo("0");
        assertThat(w.path("policy").get(0).asText()).isEqualTo("route gpt-4o -> gpt-4o-mini");

        // a period: October only (31 days)
        JsonNode oct = ok("POST", "/admin/plan/whatif", "{\"from\":\"2026-10-01\",\"to\":\"2026-11-01\",\"max_output_tokens\":50000,\"routes\":[]}");
        assertThat(oct.path("rows").asLong()).isEqualTo(62);
        // capping search's 100,000 output tokens at 50,000 saves 50,000 x $10 per million = $0.50 a call
        assertThat(oct.path("saving_by_part").path("output cap").decimalValue()).isEqualByComparingTo("15.5");
    }

    @Test
    void aWhatIfStopsWhenItsCallerHasHungUp() throws Exception {
        var body = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"routes\":[\"gpt-4o->gpt-4o-mini\"]}");
        var stillThere = new dev.tollgate.gateway.admin.AdminCall(Map.of(), body, services, () -> false);
        assertThat(PlanAdminRoutes.whatIf(stillThere).path("rows").asLong()).isEqualTo(80);
        var hungUp = new dev.tollgate.gateway.admin.AdminCall(Map.of(), body, services, () -> true);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PlanAdminRoutes.whatIf(hungUp))
                .isInstanceOf(java.util.concurrent.CancellationException.class);
    }

    @Test
    void badRequestsAreClear400s() throws Exception {
        assertThat(error("POST", "/admin/plan/whatif", "{}", 400)).contains("give a policy to replay");
        assertThat(error("POST", "/admin/plan/whatif", "{\"routes\":\"gpt-4o->x\"}", 400)).contains("routes must be an array");
        assertThat(error("POST", "/admin/plan/whatif", "{\"route\":[]}", 400)).contains("unknown field 'route'");
        assertThat(error("POST", "/admin/plan/whatif", "{\"routes\":[\"gpt-4o\"]}", 400)).contains("expected [MODEL]");
        assertThat(error("POST", "/admin/plan/whatif", "{\"cache_ttl\":\"soon\"}", 400)).contains("not a duration");
        assertThat(error("POST", "/admin/plan/whatif", "{\"max_output_tokens\":-1}", 400)).contains("cannot be negative");
        assertThat(error("POST", "/admin/plan/whatif", "{\"self_host\":{\"gpu\":\"h100\"}}", 400)).contains("self_host.model is required");
        assertThat(error("POST", "/admin/plan/whatif", "{\"self_host\":{\"model\":\"gpt-4o\",\"gpu\":\"tpu9\"}}", 400)).contains("unknown GPU");
        assertThat(error("POST", "/admin/plan/whatif", "{\"from\":\"2026-11-02\",\"to\":\"2026-11-01\",\"max_output_tokens\":5}", 400)).contains("from must be before to");
        assertThat(error("POST", "/admin/plan/whatif", "not json", 400)).contains("JSON object");
        assertThat(error("GET", "/admin/plan/whatif", null, 405)).contains("use POST");
        assertThat(error("GET", "/admin/plan/forecast?history_days=0", null, 400)).contains("history_days must be a whole number from 1 to 366");
        assertThat(error("GET", "/admin/plan/forecast?group=team", null, 400)).contains("unknown parameter 'group'");
        assertThat(error("GET", "/admin/plan/forecast?as_of=yesterday", null, 400)).contains("not a time");
        assertThat(error("GET", "/admin/plan/nothing", null, 404)).contains("no admin route");
        HttpResponse<String> noToken = call("GET", "/admin/plan/forecast", null, null);
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(noToken.body()).contains("invalid_admin_token");
    }

    /** The error's message, after checking the status and the OpenAI error shape. */
    static String error(String method, String pathAndQuery, String body, int status) throws Exception {
        HttpResponse<String> response = call(method, pathAndQuery, body, TOKEN);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode e = WhatIfOptions.JSON.readTree(response.body()).path("error");
        assertThat(e.path("type").asText()).isNotEmpty();
        return e.path("message").asText();
    }

    @Test
    void planCommandsAskTheGatewayThatHoldsTheFile() throws Exception {
        assertThat(Files.readString(data.resolve(GatewayLink.FILE_NAME))).contains(gateway.baseUrl());
        // no --gateway, no --admin-token: serve's note in the data directory says where and how
        PlanCommandTest.Run w = run("whatif", "--data", data.toString(), "--route", "gpt-4o->gpt-4o-mini", "--by", "team", "--format", "json");
        assertThat(w.exit()).as(w.err()).isZero();
        assertThat(w.err()).doesNotContain("lock");
        JsonNode summary = w.table("What-if replay of 80 ledger rows");
        assertThat(summary.path("rows").get(0).path("cost").decimalValue()).isEqualByComparingTo("160");
        assertThat(summary.path("rows").get(summary.path("rows").size() - 1).path("cost").decimalValue()).isEqualByComparingTo("84.8");
        assertThat(summary.path("notes").toString()).contains("Replayed by the gateway at " + gateway.baseUrl());
        // every table but the timing note is what the replay of the file printed
        assertThat(w.table("By team").toString()).isEqualTo(whatIfFromFile.table("By team").toString());
        assertThat(w.table("By model").toString()).isEqualTo(whatIfFromFile.table("By model").toString());

        PlanCommandTest.Run f = run("forecast", "--data", data.toString(), "--by", "team", "--as-of", AS_OF, "--format", "json");
        assertThat(f.exit()).as(f.err()).isZero();
        assertThat(f.table("Month-end forecast").path("rows").toString()).isEqualTo(forecastFromFile.table("Month-end forecast").path("rows").toString());

        PlanCommandTest.Run c = run("capacity", "--ledger-provider", "openai", "--data", data.toString(), "--batch", "1", "--format", "json");
        assertThat(c.exit()).as(c.err()).isZero();
        assertThat(c.out()).isEqualTo(capacityFromFile.out());

        PlanCommandTest.Run wrong = run("whatif", "--data", data.toString(), "--max-output-tokens", "5", "--admin-token", "wrong");
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("answered 401").contains("wrong admin token").doesNotContain("\tat ");
    }
}
