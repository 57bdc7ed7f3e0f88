package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.app.eval.EvalCli.Run;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.shadow.Shadow;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code tollgate eval --shadow ROUTE} on live traffic through a real gateway and the sandbox: the production model
 * answers every prompt right, the candidates at a known quality (0.6 and 0.95), so the share of shadowed answers that
 * match the client's is the share of prompts whose sandbox draw (SHA-256, computed here on its own) is below it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShadowEvalTest {

    static final int REQUESTS = 30;
    static Vertx vertx;
    static SandboxServer sandbox;
    static DuckDbLedger ledger;
    static GatewayServices services;
    static Gateway gateway;
    static final HttpClient http = HttpClient.newHttpClient();
    @TempDir
    static Path dataDir;
    @TempDir
    static Path noLedger;

    /** Per route: what its clients were told they spent. */
    static final Map<String, BigDecimal> clientCost = new java.util.HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
        String config = """
                admin: {token: admin}
                providers:
                  prod: {type: openai, base_url: %1$s}
                  q60:  {type: openai, base_url: %1$s, headers: {x-sandbox-quality: "0.6"}}
                  q95:  {type: openai, base_url: %1$s, headers: {x-sandbox-quality: "0.95"}}
                models:
                  - {name: mini-q60, provider: q60, model: gpt-4o-mini}
                  - {name: mini-q95, provider: q95, model: gpt-4o-mini}
                  - {name: claude-judge, provider: prod, model: claude-haiku-4-5}
                  - {name: claude-judge-2, provider: prod, model: claude-sonnet-4-5}
                  - {name: house-judge, provider: prod, model: gpt-4o}
                routes:
                  - {name: support, deployments: [{provider: prod, model: gpt-4o}], shadow: {model: mini-q60, sample: 1, max_in_flight: 256}}
                  - {name: triage, deployments: [{provider: prod, model: gpt-4o}], shadow: {model: mini-q95, sample: 1, max_in_flight: 256}}
                  - {name: refunds, deployments: [{provider: prod, model: gpt-4o}], shadow: {model: mini-q60, sample: 1, max_in_flight: 256}}
                """.formatted("http://127.0.0.1:" + sandbox.port() + "/v1");
        ledger = DuckDbLedger.open(dataDir);
        services = GatewayServices.of(new ConfigLoader(Map.<String, String>of()::get).parse(config), PriceCatalog.bundled(), ledger);
        gateway = Gateway.start(vertx, services, 0, 1).await();
        for (String route : List.of("support", "triage")) clientCost.put(route, send(route, 0, REQUESTS));
    }

    /** Sends prompts {@code from} to {@code to} (exclusive) to the route and waits for their shadow calls to be kept; what the client was told it spent. */
    static BigDecimal send(String route, int from, int to) throws Exception {
        BigDecimal told = BigDecimal.ZERO;
        for (int i = from; i < to; i++) {
            String body = Json.object().put("model", route).set("messages", Json.array().add(Json.object()
                    .put("role", "user").put("content", prompt(i)))).toString();
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            told = told.add(new BigDecimal(response.headers().firstValue("x-tollgate-cost-usd").orElseThrow()));
        }
        Shadow shadow = services.router().group(route).shadow();
        // max_in_flight above REQUESTS: the lane (low CPU priority) may fall behind on a busy machine, and none may be shed
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (shadow.sent() < to || shadow.inFlight() > 0) {
            if (System.nanoTime() > deadline) throw new AssertionError("the shadow calls of " + route + " did not end");
            Thread.sleep(20);
        }
        services.observability().shadows().flush();
        return told;
    }

    @AfterAll
    static void stop() {
        if (gateway != null) stopGateway();
        vertx.close().await();
    }

    static void stopGateway() {
        gateway.close();
        services.observability().close();
        ledger.close();
        gateway = null;
    }

    static String prompt(int i) {
        return "Ticket " + i + ": which queue?\nReply with exactly: queue-" + (i % 7);
    }

    /** How many of the prompts a sandbox model of this quality answers right. */
    static int rightAnswers(double quality) throws Exception {
        int n = 0;
        for (int i = 0; i < REQUESTS; i++) if (EvalCommandTest.draw(prompt(i)) < quality) n++;
        return n;
    }

    /** The 95% Wilson score interval, written out here on its own. */
    static double[] wilson(int k, int n) {
        double z = 1.959963984540054, p = k / (double) n;
        double center = (p + z * z / (2 * n)) / (1 + z * z / n);
        double half = z / (1 + z * z / n) * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n));
        return new double[]{center - half, center + half};
    }

    /** What the ledger says the route's shadow calls cost. */
    static BigDecimal shadowCost(String route) throws Exception {
        JsonNode all = Json.parse(http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/admin/requests?limit=1000"))
                .header("authorization", "Bearer admin").build(), HttpResponse.BodyHandlers.ofString()).body());
        BigDecimal sum = BigDecimal.ZERO;
        for (JsonNode r : all.path("requests")) {
            if (route.equals(r.path("tags").path("shadow").asText(null))) sum = sum.add(r.path("cost_usd").decimalValue());
        }
        return sum;
    }

    static Run eval(String... args) {
        return EvalCli.run(List.of(args));
    }

    /** While the gateway holds the ledger file: asked through its admin API. */
    static Run evalLive(String... args) {
        List<String> all = new ArrayList<>(List.of("--url", gateway.baseUrl(), "--admin-token", "admin", "--data", noLedger.toString()));
        all.addAll(List.of(args));
        // a judge's verdicts go to --results (eval-results.jsonl in the working directory by default): a file of the
        // call's own, unless the test names one
        if (!all.contains("--results")) {
            try {
                all.addAll(List.of("--results", Files.createTempFile(noLedger, "results", ".jsonl").toString()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return eval(all.toArray(String[]::new));
    }

    @Test
    @Order(1)
    void aCandidateBelowTheGateFailsItWithTheRightRateCostsAndSaving() throws Exception {
        int right = rightAnswers(0.6);
        assertThat(right / (double) REQUESTS).as("the premise: quality 0.6 falls short of the gate").isLessThan(0.75);
        Run run = evalLive("--shadow", "support", "--format", "json");
        assertThat(run.exit()).as(run.err()).isEqualTo(EvalCommand.NONE_PASSES);
        JsonNode r = Json.parse(run.out());
        assertThat(r.path("candidate").asText()).isEqualTo("mini-q60");
        assertThat(r.path("answers").asInt()).isEqualTo(REQUESTS);
        assertThat(r.path("passed").asInt()).isEqualTo(right);
        assertThat(r.path("pass_rate").asDouble()).isCloseTo(right / (double) REQUESTS, within(1e-12));
        double[] ci = wilson(right, REQUESTS);
        assertThat(r.path("ci95_low").asDouble()).isCloseTo(ci[0], within(1e-9));
        assertThat(r.path("ci95_high").asDouble()).isCloseTo(ci[1], within(1e-9));
        assertThat(r.path("verdict").asText()).isEqualTo("fail");

        BigDecimal production = clientCost.get("support");
        BigDecimal candidate = shadowCost("support");
        assertThat(r.path("production_cost_usd").decimalValue()).isEqualByComparingTo(production);
        assertThat(r.path("candidate_cost_usd").decimalValue()).isEqualByComparingTo(candidate);
        // every request was shadowed, so the route's spend is the production cost and the saving is the difference
        JsonNode saving = r.path("switch_saving");
        assertThat(saving.path("route_requests").asLong()).isEqualTo(REQUESTS);
        assertThat(saving.path("route_cost_usd").decimalValue()).isEqualByComparingTo(production);
        assertThat(saving.path("saving_usd").decimalValue().setScale(8, RoundingMode.HALF_UP))
                .isEqualByComparingTo(production.subtract(candidate).setScale(8, RoundingMode.HALF_UP));
        // seven days (the default window) scaled to thirty
        assertThat(saving.path("saving_usd_per_month").decimalValue().setScale(8, RoundingMode.HALF_UP)).isEqualByComparingTo(
                production.subtract(candidate).multiply(BigDecimal.valueOf(30)).divide(BigDecimal.valueOf(7), 8, RoundingMode.HALF_UP));
    }

    @Test
    @Order(2)
    void aCandidateAboveTheGatePassesAndTheTableSaysSoInOneSentence() throws Exception {
        int right = rightAnswers(0.95);
        assertThat(right / (double) REQUESTS).as("the premise: quality 0.95 clears the gate").isGreaterThanOrEqualTo(0.75);
        Run run = evalLive("--shadow", "triage", "--since", "3d");
        assertThat(run.exit()).as(run.err()).isZero();
        BigDecimal monthly = clientCost.get("triage").subtract(shadowCost("triage"))
                .multiply(BigDecimal.valueOf(10)); // 30 days over 3
        assertThat(run.out()).contains("The candidate mini-q95 passes " + EvalOutput.percent(right / (double) REQUESTS)
                + " over 3 days (gate 75.0%); switching saves " + EvalOutput.dollars(monthly.round(new java.math.MathContext(6))) + "/month.");
        assertThat(run.out()).contains("PASS");
    }

    @Test
    @Order(3)
    void aStricterGateFailsTheSameCandidate() throws Exception {
        int right = rightAnswers(0.95);
        double gate = (right + 1) / (double) REQUESTS; // one answer more than it got
        Run run = evalLive("--shadow", "triage", "--gate", Double.toString(gate), "--format", "json");
        assertThat(run.exit()).isEqualTo(EvalCommand.NONE_PASSES);
        assertThat(Json.parse(run.out()).path("verdict").asText()).isEqualTo("fail");
    }

    @Test
    @Order(4)
    void aJudgeGradesTheSamePairs() throws Exception {
        // the sandbox judge (quality 1) passes an answer exactly when it matches the reference
        Run run = evalLive("--shadow", "support", "--judge", "claude-judge", "--format", "json");
        assertThat(run.exit()).as(run.err()).isEqualTo(EvalCommand.NONE_PASSES);
        JsonNode r = Json.parse(run.out());
        assertThat(r.path("passed").asInt()).isEqualTo(rightAnswers(0.6));
        assertThat(r.path("scorer").asText()).isEqualTo("the judge claude-judge");
        assertThat(r.path("judge_cost_usd").decimalValue()).isPositive();
    }

    @Test
    @Order(4)
    void aJudgeOfTheCandidatesFamilyUnderAnotherNameIsRefused() {
        // house-judge is gpt-4o, mini-q60 is gpt-4o-mini: both OpenAI's, whatever the gateway calls them
        Run run = evalLive("--shadow", "support", "--judge", "house-judge");
        assertThat(run.exit()).as(run.err()).isEqualTo(EvalCommand.BAD_INPUT);
        assertThat(run.err()).contains("the judge house-judge (gpt-4o) would grade mini-q60 (gpt-4o-mini), a model of its own family (openai)");
    }

    /** What the ledger says the eval's calls of the judge cost. */
    static BigDecimal judgeLedgerCost(String judge) {
        ledger.flush();
        return ledger.recent(100_000).stream().filter(e -> judge.equals(e.requestedModel()) && "eval".equals(e.tags().get("feature")))
                .map(dev.tollgate.store.LedgerEntry::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    @Test
    @Order(4)
    void aRerunAsksTheJudgeOnlyAboutPairsItHasNotJudged(@TempDir Path dir) throws Exception {
        String verdicts = dir.resolve("verdicts.jsonl").toString();
        send("refunds", 0, 4);
        long calls = sandbox.requestsReceived();
        BigDecimal paid = judgeLedgerCost("claude-judge");
        Run first = evalLive("--shadow", "refunds", "--judge", "claude-judge", "--results", verdicts, "--format", "json");
        assertThat(sandbox.requestsReceived() - calls).as(first.err()).isEqualTo(4);
        JsonNode r1 = Json.parse(first.out());
        BigDecimal firstCost = judgeLedgerCost("claude-judge").subtract(paid);
        assertThat(firstCost.signum()).isPositive();
        assertThat(r1.path("answers").asInt()).isEqualTo(4);
        assertThat(r1.path("judge_calls").asInt()).isEqualTo(4);
        assertThat(r1.path("judge_cost_usd").decimalValue()).isEqualByComparingTo(firstCost);
        assertThat(r1.path("judge_cost_all_usd").decimalValue()).isEqualByComparingTo(firstCost);

        // the same pairs again: the judge is not asked, the verdict is the same
        calls = sandbox.requestsReceived();
        Run second = evalLive("--shadow", "refunds", "--judge", "claude-judge", "--results", verdicts, "--format", "json");
        assertThat(sandbox.requestsReceived()).as(second.err()).isEqualTo(calls);
        assertThat(second.err()).contains("4 verdicts of the judge claude-judge already in " + verdicts + ", 0 to ask");
        JsonNode r2 = Json.parse(second.out());
        assertThat(r2.path("answers").asInt()).isEqualTo(4);
        assertThat(r2.path("passed").asInt()).isEqualTo(r1.path("passed").asInt());
        assertThat(r2.path("judge_calls").asInt()).isZero();
        assertThat(r2.path("judge_cost_usd").decimalValue()).isEqualByComparingTo("0");
        assertThat(r2.path("judge_cost_all_usd").decimalValue()).isEqualByComparingTo(firstCost);

        // a new pair: only it is judged, and the report counts all five
        send("refunds", 4, 5);
        calls = sandbox.requestsReceived();
        paid = judgeLedgerCost("claude-judge");
        Run third = evalLive("--shadow", "refunds", "--judge", "claude-judge", "--results", verdicts);
        assertThat(sandbox.requestsReceived() - calls).as(third.err()).isEqualTo(1);
        BigDecimal newCost = judgeLedgerCost("claude-judge").subtract(paid);
        int right = 0;
        for (int i = 0; i < 5; i++) if (EvalCommandTest.draw(prompt(i)) < 0.6) right++;
        assertThat(third.out()).contains(": 5 answers scored by the judge claude-judge",
                "Pass rate: " + EvalOutput.percent(right / 5.0),
                "The judge cost " + EvalOutput.dollars(newCost) + " this run for 1 new verdict; 4 kept from earlier runs; all 5 cost "
                        + EvalOutput.dollars(firstCost.add(newCost)) + ".");

        // another judge's verdicts are its own: it is asked about every pair
        calls = sandbox.requestsReceived();
        Run other = evalLive("--shadow", "refunds", "--judge", "claude-judge-2", "--results", verdicts, "--format", "json");
        assertThat(sandbox.requestsReceived() - calls).as(other.err()).isEqualTo(5);
    }

    @Test
    @Order(5)
    void aRouteWithoutShadowAnswersSaysSoAndExitsIncomplete() {
        Run run = evalLive("--shadow", "nowhere");
        assertThat(run.exit()).isEqualTo(EvalCommand.INCOMPLETE);
        assertThat(run.err()).contains("no shadowed answers for nowhere");
        assertThat(evalLive("--shadow", "support", "--scorer", "regex").exit()).isEqualTo(EvalCommand.BAD_INPUT);
    }

    @Test
    @Order(6)
    void withNoGatewayRunningItReadsTheLedgerFile() throws Exception {
        int right = rightAnswers(0.6);
        stopGateway();
        Run run = eval("--shadow", "support", "--data", dataDir.toString(), "--format", "json");
        assertThat(run.exit()).as(run.err()).isEqualTo(EvalCommand.NONE_PASSES);
        JsonNode r = Json.parse(run.out());
        assertThat(r.path("answers").asInt()).isEqualTo(REQUESTS);
        assertThat(r.path("passed").asInt()).isEqualTo(right);
        assertThat(r.path("switch_saving").path("route_cost_usd").decimalValue()).isEqualByComparingTo(clientCost.get("support"));
    }
    @Test
    @Order(7)
    void theSavingComparesCostsOnlyWhereTheCandidateAnswered() {
        java.time.Instant t = java.time.Instant.parse("2026-11-30T10:00:00Z");
        List<ShadowEval.Scored> scored = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            boolean answered = i < 2; // two candidate calls failed: no answer, nothing charged
            dev.tollgate.store.ShadowAnswer a = new dev.tollgate.store.ShadowAnswer(t, "r" + i, "support", "mini", "openai.chat", "q",
                    "gpt-4o", "Paris", new BigDecimal("0.01"), 100, answered ? "Paris" : null,
                    answered ? new BigDecimal("0.001") : BigDecimal.ZERO, 50, answered ? null : "HTTP 500");
            scored.add(new ShadowEval.Scored(a, answered ? new Verdict(true, "ok") : new Verdict(false, "no answer"), BigDecimal.ZERO, false));
        }
        ShadowEval.Report r = ShadowEval.report("support", "mini", java.time.Duration.ofDays(1), "normalized match", 0.75,
                scored, new BigDecimal("1.00"), 100, null);
        // where both answered the candidate cost $0.002 against production's $0.02: a tenth, so it saves 90% of the
        // route's $1.00 a day; the failed calls say nothing of what the candidate costs
        assertThat(r.saving().savingUsd()).isEqualByComparingTo("0.90");
        assertThat(r.monthlySaving()).isEqualByComparingTo("27.00");
    }
}
