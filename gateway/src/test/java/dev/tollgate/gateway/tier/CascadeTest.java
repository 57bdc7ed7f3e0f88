package dev.tollgate.gateway.tier;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.SandboxGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tiers and the cascade on the real gateway and a sandbox of known quality: a cheap tier at quality 0 always escalates
 * a JSON-schema request, one at quality 1 never does; both attempts are in the ledger under one request id, and
 * saved_usd is what the baseline's list price would have charged for the tokens minus what the attempts cost.
 */
class CascadeTest {

    /** List prices, USD per million tokens (input, output), as OpenAI publishes them. */
    private static final Map<String, BigDecimal[]> LIST = Map.of(
            "gpt-4.1-nano", new BigDecimal[] {new BigDecimal("0.10"), new BigDecimal("0.40")},
            "gpt-4o-mini", new BigDecimal[] {new BigDecimal("0.15"), new BigDecimal("0.60")},
            "gpt-4o", new BigDecimal[] {new BigDecimal("2.50"), new BigDecimal("10.00")});

    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\"},"
            + "\"category\":{\"enum\":[\"billing\",\"shipping\",\"account\"]}},\"required\":[\"answer\",\"category\"],"
            + "\"additionalProperties\":false}";

    @TempDir
    static Path data;
    static SandboxGateway bed;
    static GatewayServices services;
    static Gateway gateway;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        bed = new SandboxGateway(data, s -> """
                admin: {token: admin}
                providers:
                  poor:     {type: openai, base_url: "%1$s/v1", headers: {x-sandbox-quality: "0"}}
                  perfect:  {type: openai, base_url: "%1$s/v1", headers: {x-sandbox-quality: "1"}}
                  flagship: {type: openai, base_url: "%1$s/v1"}
                  broken:   {type: openai, base_url: "%1$s/v1", headers: {x-sandbox-fault: "500"}}
                models:
                  - {name: nano-poor, provider: poor, model: gpt-4.1-nano}
                  - {name: nano-good, provider: perfect, model: gpt-4.1-nano}
                  - {name: gpt-4o, provider: flagship}
                routes:
                  - {name: mini-flaky, retries: 0, deployments: [{provider: broken, model: gpt-4o-mini}, {provider: flagship, model: gpt-4o-mini}]}
                tiers:
                  - {name: strict, ladder: [{name: cheap, model: nano-poor}, {name: top, model: gpt-4o}], default: cheap, cascade: true}
                  - {name: lenient, ladder: [{name: cheap, model: nano-good}, {name: top, model: gpt-4o}], default: cheap, cascade: true}
                  - {name: to-route, ladder: [{name: cheap, model: nano-poor}, {name: mid, model: mini-flaky}], default: cheap, cascade: true, baseline: gpt-4o}
                  - name: by-rules
                    ladder: [{name: small, model: nano-good}, {name: flagship, model: gpt-4o}]
                    rules: [{tier: small, tags: {feature: faq}}]
                spend_controls:
                  budgets:
                    - {name: everything, scope: org, period: monthly, limit_usd: "100", action: notify}
                    - {name: tight, scope: "team:tight", period: monthly, limit_usd: "0.005"}
                """.formatted(s));
        services = bed.services;
        gateway = bed.gateway;
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    private static String jsonRequest(String model, String prompt, boolean stream) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}],"
                + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"reply\",\"schema\":" + SCHEMA + "}}}";
    }

    private static HttpResponse<String> post(String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) request.header(headers[i], headers[i + 1]);
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response;
    }

    static List<JsonNode> rows(HttpResponse<String> response) throws Exception {
        String id = response.headers().firstValue("x-tollgate-request-id").orElseThrow();
        JsonNode all = bed.admin("/admin/requests?limit=500");
        List<JsonNode> out = new ArrayList<>();
        all.path("requests").forEach(r -> { if (r.path("request_id").asText().equals(id)) out.add(r); });
        out.sort(Comparator.comparingInt(r -> r.path("attempt").asInt(0)));
        return out;
    }

    /** The row's tokens at a model's list price. */
    static BigDecimal listCost(String model, JsonNode row) {
        BigDecimal[] p = LIST.get(model);
        return p[0].multiply(BigDecimal.valueOf(row.path("input_tokens").asLong()))
                .add(p[1].multiply(BigDecimal.valueOf(row.path("output_tokens").asLong())))
                .divide(BigDecimal.valueOf(1_000_000));
    }

    private static String content(HttpResponse<String> response) {
        return Json.tree(response.body()).path("choices").path(0).path("message").path("content").asText();
    }

    @Test
    void aPoorCheapTierAlwaysEscalatesSchemaRequests() throws Exception {
        double escalations = metric("tollgate_cascade_escalations_total{model=\"strict\",tier=\"cheap\"}");
        double accepted = metric("tollgate_cascade_accepted_total{model=\"strict\",tier=\"cheap\"}");
        for (String prompt : List.of("Why was I charged twice?", "Where is my order?", "How do I update my card?")) {
            HttpResponse<String> response = post(jsonRequest("strict", prompt, false));
            assertThat(response.headers().firstValue(CascadeStage.TIER_HEADER)).hasValue("top");
            JsonNode answer = Json.tree(content(response));
            assertThat(answer.path("category").asText()).isIn("billing", "shipping", "account");

            List<JsonNode> rows = rows(response);
            assertThat(rows).hasSize(2);
            JsonNode cheap = rows.get(0), top = rows.get(1);
            assertThat(cheap.path("attempt").asInt()).isEqualTo(1);
            assertThat(cheap.path("attempt_reason").asText()).isEqualTo("escalated");
            assertThat(cheap.path("tags").path("tier").asText()).isEqualTo("cheap");
            assertThat(cheap.path("requested_model").asText()).isEqualTo("strict");
            assertThat(cheap.path("provider").asText()).isEqualTo("poor");
            assertThat(cheap.path("cost_usd").decimalValue()).isPositive().isEqualByComparingTo(listCost("gpt-4.1-nano", cheap));
            assertThat(cheap.path("saved_usd").decimalValue()).isEqualByComparingTo(listCost("gpt-4.1-nano", cheap).negate());

            assertThat(top.path("attempt").asInt()).isEqualTo(2);
            assertThat(top.path("attempt_reason").isNull()).isTrue();
            assertThat(top.path("tags").path("tier").asText()).isEqualTo("top");
            assertThat(top.path("requested_model").asText()).isEqualTo("strict");
            assertThat(top.path("served_model").asText()).startsWith("gpt-4o");
            assertThat(top.path("cost_usd").decimalValue()).isEqualByComparingTo(listCost("gpt-4o", top));
            assertThat(top.path("saved_usd").decimalValue()).isZero(); // the baseline (the top tier) served it

            // the client is told what both attempts cost
            BigDecimal both = listCost("gpt-4.1-nano", cheap).add(listCost("gpt-4o", top));
            assertThat(new BigDecimal(response.headers().firstValue("x-tollgate-cost-usd").orElseThrow())).isEqualByComparingTo(both);
        }
        assertThat(metric("tollgate_cascade_escalations_total{model=\"strict\",tier=\"cheap\"}")).isEqualTo(escalations + 3);
        assertThat(metric("tollgate_cascade_accepted_total{model=\"strict\",tier=\"cheap\"}")).isEqualTo(accepted);
    }

    @Test
    void aPerfectCheapTierNeverEscalates() throws Exception {
        for (String prompt : List.of("Why was I charged twice?", "Where is my order?", "How do I update my card?")) {
            HttpResponse<String> response = post(jsonRequest("lenient", prompt, false));
            assertThat(response.headers().firstValue(CascadeStage.TIER_HEADER)).hasValue("cheap");
            assertThat(Json.tree(content(response)).has("answer")).isTrue();
            List<JsonNode> rows = rows(response);
            assertThat(rows).hasSize(1);
            JsonNode row = rows.getFirst();
            assertThat(row.path("attempt").asInt()).isEqualTo(1);
            assertThat(row.path("attempt_reason").isNull()).isTrue();
            assertThat(row.path("tags").path("tier").asText()).isEqualTo("cheap");
            assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(listCost("gpt-4.1-nano", row));
            // saved: the same tokens at the flagship's list price, less what the small model cost
            assertThat(row.path("saved_usd").decimalValue())
                    .isEqualByComparingTo(listCost("gpt-4o", row).subtract(listCost("gpt-4.1-nano", row)));
            assertThat(new BigDecimal(response.headers().firstValue("x-tollgate-cost-usd").orElseThrow()))
                    .isEqualByComparingTo(listCost("gpt-4.1-nano", row));
        }
        assertThat(metric("tollgate_cascade_accepted_total{model=\"lenient\",tier=\"cheap\"}")).as(cascadeLines()).isEqualTo(3);
        assertThat(metric("tollgate_cascade_escalations_total{model=\"lenient\",tier=\"cheap\"}")).isZero();
    }

    @Test
    void anEscalationToARouteNumbersItsAttemptsOn() throws Exception {
        HttpResponse<String> response = post(jsonRequest("to-route", "Where is my order?", false));
        assertThat(response.headers().firstValue(CascadeStage.TIER_HEADER)).hasValue("mid");
        assertThat(response.headers().firstValue("x-tollgate-deployment")).hasValue("flagship/gpt-4o-mini");
        List<JsonNode> rows = rows(response);
        assertThat(rows).extracting(r -> r.path("attempt").asInt()).containsExactly(1, 2, 3);
        assertThat(rows).extracting(r -> r.path("attempt_reason").asText(null)).containsExactly("escalated", "server_error", null);
        assertThat(rows).extracting(r -> r.path("tags").path("tier").asText()).containsExactly("cheap", "mid", "mid");
        assertThat(rows.get(2).path("saved_usd").decimalValue())
                .isEqualByComparingTo(listCost("gpt-4o", rows.get(2)).subtract(listCost("gpt-4o-mini", rows.get(2))));
    }

    @Test
    void bothAttemptsCountAgainstBudgets() throws Exception {
        BigDecimal before = spent();
        HttpResponse<String> response = post(jsonRequest("strict", "How do I cancel my subscription?", false));
        List<JsonNode> rows = rows(response);
        assertThat(rows).hasSize(2);
        BigDecimal both = listCost("gpt-4.1-nano", rows.get(0)).add(listCost("gpt-4o", rows.get(1)));
        assertThat(spent().subtract(before)).isEqualByComparingTo(both);
    }

    /**
     * A cascade spends the cheap attempt before it knows whether it must escalate, so it is admitted only when the
     * budget affords every attempt it may make. The budget here ($0.005) affords a 1,000-token answer of gpt-4.1-nano
     * (at most $0.0004 plus its short prompt, at $0.10/$0.40 per million) but not that and gpt-4o's ($0.01 for the
     * answer alone): refused before anything is spent, where it used to spend the cheap attempt and then be refused.
     */
    @Test
    void aBudgetThatAffordsOnlyTheCheapAttemptRefusesTheCascadeBeforeSpending() throws Exception {
        String tight = "{\"model\":\"nano-poor\",\"max_tokens\":1000,\"messages\":[{\"role\":\"user\",\"content\":\"Where is my order?\"}]}";
        HttpResponse<String> alone = post(tight, "x-tollgate-tags", "team=tight");
        assertThat(rows(alone)).hasSize(1); // the cheap model alone fits

        BigDecimal before = spent();
        String cascaded = jsonRequest("strict", "Where is my order?", false).replaceFirst("\\{", "{\"max_tokens\":1000,");
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                .header("content-type", "application/json").header("x-tollgate-tags", "team=tight")
                .POST(HttpRequest.BodyPublishers.ofString(cascaded)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        JsonNode error = Json.tree(refused.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("budget_exceeded");
        assertThat(error.path("message").asText()).contains("tight");
        assertThat(rows(refused)).isEmpty();
        assertThat(spent()).isEqualByComparingTo(before);
        // the message names a worst case above the limit: both tiers' (at list prices, more than the $0.01 above)
        java.util.regex.Matcher upTo = java.util.regex.Pattern.compile("may cost up to \\$([0-9.]+)").matcher(error.path("message").asText());
        assertThat(upTo.find()).as(error.path("message").asText()).isTrue();
        assertThat(new BigDecimal(upTo.group(1))).isGreaterThan(new BigDecimal("0.0104"));
    }

    /**
     * Reports count client requests, each once in the group of the attempt that answered it, and attempts apart; a
     * tier whose answers were all thrown away has attempts, no requests, and a negative saving (its cost: it saved
     * nothing), and the requests' saving in all is the baseline's price for what stood less everything paid.
     */
    @Test
    void reportsCountClientRequestsAndShowTheEscalationsNegativeSaving() throws Exception {
        List<List<JsonNode>> requests = new ArrayList<>();
        for (String prompt : List.of("Is my parcel insured?", "Can I return a gift?")) {
            requests.add(rows(post(jsonRequest("strict", prompt, false), "x-tollgate-tags", "feature=counting")));
        }
        BigDecimal cheapCost = BigDecimal.ZERO, topCost = BigDecimal.ZERO;
        for (List<JsonNode> attempts : requests) {
            assertThat(attempts).hasSize(2);
            cheapCost = cheapCost.add(listCost("gpt-4.1-nano", attempts.get(0)));
            topCost = topCost.add(listCost("gpt-4o", attempts.get(1)));
        }
        JsonNode spend = bed.admin("/admin/spend?group_by=tier&feature=counting");
        JsonNode cheap = null, top = null;
        for (JsonNode row : spend.path("rows")) {
            if (row.path("tier").asText().equals("cheap")) cheap = row;
            if (row.path("tier").asText().equals("top")) top = row;
        }
        assertThat(cheap).as(spend.toString()).isNotNull();
        assertThat(top).as(spend.toString()).isNotNull();
        assertThat(cheap.path("requests").asLong()).isZero();
        assertThat(cheap.path("attempts").asLong()).isEqualTo(2);
        assertThat(cheap.path("cost_usd").decimalValue()).isEqualByComparingTo(cheapCost);
        assertThat(cheap.path("saved_usd").decimalValue()).isNegative().isEqualByComparingTo(cheapCost.negate());
        assertThat(top.path("requests").asLong()).isEqualTo(2);
        assertThat(top.path("attempts").asLong()).isEqualTo(2);
        assertThat(top.path("saved_usd").decimalValue()).isZero(); // the top tier is the baseline
        JsonNode total = spend.path("total");
        assertThat(total.path("requests").asLong()).isEqualTo(2);
        assertThat(total.path("attempts").asLong()).isEqualTo(4);
        // on the baseline alone the two requests would have cost topCost; they cost cheapCost more than that
        assertThat(total.path("saved_usd").decimalValue()).isEqualByComparingTo(topCost.subtract(cheapCost.add(topCost)));

        // /metrics: a counter only grows, so the loss is a counter of its own (and the scrape still renders)
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).as(metrics.body()).isEqualTo(200);
        double lost = metrics.body().lines().filter(l -> l.startsWith("tollgate_lost_usd_total{") && l.contains("model=\"nano-poor\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        assertThat(lost).isGreaterThanOrEqualTo(cheapCost.doubleValue());
    }

    private static BigDecimal spent() throws Exception {
        JsonNode budget = bed.admin("/admin/budgets/everything");
        return new BigDecimal(budget.path("spent_usd").asText());
    }

    @Test
    void streamsAreNotCascaded() throws Exception {
        HttpResponse<String> response = post(jsonRequest("strict", "Where is my order?", true));
        assertThat(response.headers().firstValue(CascadeStage.TIER_HEADER)).hasValue("cheap");
        List<JsonNode> rows = rows(response);
        assertThat(rows).hasSize(1);
        assertThat(rows.getFirst().path("provider").asText()).isEqualTo("poor");
        assertThat(rows.getFirst().path("attempt_reason").asText(null)).isNull();
    }

    @Test
    void aStreamTheClientLetsBeBufferedIsCascadedAndReplayed() throws Exception {
        HttpResponse<String> response = post(jsonRequest("strict", "Where is my order?", true), CascadeStage.CASCADE_HEADER, "buffer");
        assertThat(response.headers().firstValue(CascadeStage.TIER_HEADER)).hasValue("top");
        assertThat(response.body()).endsWith("data: [DONE]\n\n");
        StringBuilder text = new StringBuilder();
        String costComment = null;
        for (String line : response.body().split("\n")) {
            if (line.startsWith(": x-tollgate-cost-usd=")) costComment = line.substring(": x-tollgate-cost-usd=".length());
            if (!line.startsWith("data: {")) continue;
            text.append(Json.tree(line.substring(6)).path("choices").path(0).path("delta").path("content").asText(""));
        }
        assertThat(Json.tree(text.toString()).path("category").asText()).isIn("billing", "shipping", "account");

        List<JsonNode> rows = rows(response);
        assertThat(rows).extracting(r -> r.path("attempt_reason").asText(null)).containsExactly("escalated", null);
        assertThat(rows).extracting(r -> r.path("stream").asBoolean()).containsExactly(true, true);
        BigDecimal both = listCost("gpt-4.1-nano", rows.get(0)).add(listCost("gpt-4o", rows.get(1)));
        assertThat(rows.get(0).path("cost_usd").decimalValue().add(rows.get(1).path("cost_usd").decimalValue())).isEqualByComparingTo(both);
        assertThat(new BigDecimal(costComment)).isEqualByComparingTo(both);
    }

    @Test
    void rulesPickTheTierFromTheRequestsTags() throws Exception {
        String plain = "{\"model\":\"by-rules\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"Do you ship to Canada?\"}]}";
        HttpResponse<String> faq = post(plain, "x-tollgate-tags", "feature=faq");
        assertThat(faq.headers().firstValue(CascadeStage.TIER_HEADER)).hasValue("small");
        JsonNode row = rows(faq).getFirst();
        assertThat(row.path("provider").asText()).isEqualTo("perfect");
        assertThat(row.path("tags").path("tier").asText()).isEqualTo("small");
        assertThat(row.path("tags").path("feature").asText()).isEqualTo("faq");
        assertThat(row.path("attempt").isMissingNode() || row.path("attempt").isNull()).isTrue();
        assertThat(row.path("saved_usd").decimalValue())
                .isEqualByComparingTo(listCost("gpt-4o", row).subtract(listCost("gpt-4.1-nano", row)));

        HttpResponse<String> other = post(plain, "x-tollgate-tags", "feature=billing");
        assertThat(other.headers().firstValue(CascadeStage.TIER_HEADER)).hasValue("flagship");
        JsonNode flagship = rows(other).getFirst();
        assertThat(flagship.path("provider").asText()).isEqualTo("flagship");
        assertThat(flagship.path("saved_usd").decimalValue()).isZero();
    }

    /** A counter's value on /metrics (0 when absent). */
    static String cascadeLines() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        String text = r.body();
        return "HTTP " + r.statusCode() + " " + text.length() + " chars: " + text.substring(0, Math.min(400, text.length())) + "\n"
                + text.lines().filter(l -> l.contains("cascade")).collect(java.util.stream.Collectors.joining("\n"));
    }

    static double metric(String series) throws Exception {
        String text = bed.metrics();
        for (String line : text.split("\n")) {
            if (line.startsWith(series + " ")) return Double.parseDouble(line.substring(series.length() + 1).trim());
        }
        return 0;
    }
}
