package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reports through the real gateway: spend by bucket and filters, the decision header, outcomes and cost per
 * success, and the FOCUS download. Expected numbers come from the cost each response reported to its client.
 */
class ReportsTest extends EndToEnd {

    /** One call; returns its request id and reported cost. */
    record Call(String requestId, BigDecimal cost) {
    }

    static Call chat(String model, String tags, String decision, String prompt) throws Exception {
        List<String> headers = new ArrayList<>(List.of("authorization", "Bearer " + TestBed.KEY, "x-tollgate-tags", tags));
        if (decision != null) headers.addAll(List.of("x-tollgate-decision", decision));
        HttpResponse<String> r = bed.post("/v1/chat/completions", "{\"model\":\"" + model + "\",\"max_tokens\":8,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}", headers.toArray(String[]::new));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new Call(r.headers().firstValue("x-tollgate-request-id").orElseThrow(),
                new BigDecimal(r.headers().firstValue("x-tollgate-cost-usd").orElseThrow()));
    }

    static HttpResponse<String> admin(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(bed.url() + path)).header("authorization", "Bearer " + TestBed.ADMIN);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return bed.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void spendByDayWithFiltersOnTagsModelAndStatusClass() throws Exception {
        Map<String, BigDecimal> byModel = new HashMap<>();
        for (int i = 0; i < 6; i++) {
            String model = i % 3 == 0 ? "claude-haiku-4-5" : "gpt-4o-mini";
            Call c = chat(model, "feature=spend-e2e,customer=c" + (i % 2), null, "report question " + i);
            byModel.merge(model, c.cost(), BigDecimal::add);
        }
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        JsonNode spend = bed.admin("/admin/spend?group_by=model&bucket=day&since=1h&feature=spend-e2e");
        assertThat(spend.path("bucket").asText()).isEqualTo("day");
        assertThat(spend.path("group_by")).hasSize(1);
        JsonNode rows = spend.path("rows");
        assertThat(rows).hasSize(2);
        for (JsonNode row : rows) {
            assertThat(row.path("day").asText()).isEqualTo(today);
            assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(byModel.get(row.path("model").asText()));
        }
        assertThat(spend.path("total").path("requests").asLong()).isEqualTo(6);
        assertThat(spend.path("total").path("cost_usd").decimalValue())
                .isEqualByComparingTo(byModel.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add));

        JsonNode mini = bed.admin("/admin/spend?group_by=customer&feature=spend-e2e&model=gpt-4o-mini&provider=sandbox&status_class=2xx&team=search");
        assertThat(mini.path("total").path("requests").asLong()).isEqualTo(4);
        assertThat(mini.path("total").path("cost_usd").decimalValue()).isEqualByComparingTo(byModel.get("gpt-4o-mini"));
        assertThat(mini.path("rows")).extracting(r -> r.path("customer").asText()).containsExactlyInAnyOrder("c0", "c1");

        // raw rows for an audit, filtered like a report, newest first
        JsonNode audit = bed.admin("/admin/requests?limit=10&feature=spend-e2e&model=claude-haiku-4-5&since=1h");
        assertThat(audit.path("requests")).hasSize(2).allSatisfy(r -> {
            assertThat(r.path("served_model").asText()).isEqualTo("claude-haiku-4-5");
            assertThat(r.path("tags").path("feature").asText()).isEqualTo("spend-e2e");
        });
        assertThat(audit.path("requests").get(0).path("time").asText()).isGreaterThan(audit.path("requests").get(1).path("time").asText());

        HttpResponse<String> bad = admin("GET", "/admin/spend?bucket=fortnight", null);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(Json.parse(bad.body()).path("error").path("message").asText()).contains("bucket must be one of hour, day, week, month");
        HttpResponse<String> badSince = admin("GET", "/admin/spend?since=yesterday", null);
        assertThat(badSince.statusCode()).isEqualTo(400);
        assertThat(badSince.body()).contains("since must be a duration");
    }

    @Test
    void costPerSuccessfulOutcomeFromTheDecisionHeaderAndOutcomes() throws Exception {
        // a cheap prompt that fails often, a dear one that mostly works
        List<Call> cheap = new ArrayList<>();
        for (int i = 0; i < 4; i++) cheap.add(chat("gpt-4o-mini", "feature=outcome-e2e", null, "cheap " + i));
        List<Call> workflow = new ArrayList<>();
        for (int i = 0; i < 3; i++) workflow.add(chat("claude-haiku-4-5", "feature=outcome-e2e", "refund-4711", "step " + i));

        for (int i = 0; i < cheap.size(); i++) {
            HttpResponse<String> r = admin("POST", "/admin/outcomes",
                    "{\"request_id\":\"" + cheap.get(i).requestId() + "\",\"success\":" + (i == 0) + "}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        HttpResponse<String> decided = admin("POST", "/admin/outcomes", "{\"decision\":\"refund-4711\",\"success\":true,\"value_usd\":\"12.50\"}");
        assertThat(decided.statusCode()).isEqualTo(200);
        assertThat(Json.parse(decided.body()).path("recorded").asBoolean()).isTrue();

        JsonNode report = bed.admin("/admin/outcomes?group_by=feature,model&feature=outcome-e2e");
        Map<String, JsonNode> rows = new HashMap<>();
        report.path("rows").forEach(r -> rows.put(r.path("model").asText(), r));
        BigDecimal cheapCost = cheap.stream().map(Call::cost).reduce(BigDecimal.ZERO, BigDecimal::add);
        JsonNode mini = rows.get("gpt-4o-mini");
        assertThat(mini.path("requests").asLong()).isEqualTo(4);
        assertThat(mini.path("outcomes").asLong()).isEqualTo(4);
        assertThat(mini.path("successes").asLong()).isEqualTo(1);
        assertThat(mini.path("success_rate").asDouble()).isEqualTo(0.25);
        assertThat(mini.path("cost_per_success_usd").decimalValue()).isEqualByComparingTo(cheapCost); // 4 calls per success
        BigDecimal workflowCost = workflow.stream().map(Call::cost).reduce(BigDecimal.ZERO, BigDecimal::add);
        JsonNode haiku = rows.get("claude-haiku-4-5");
        assertThat(haiku.path("requests").asLong()).isEqualTo(3);
        assertThat(haiku.path("outcomes").asLong()).isEqualTo(1);
        assertThat(haiku.path("cost_per_success_usd").decimalValue()).isEqualByComparingTo(workflowCost);
        assertThat(haiku.path("value_usd").decimalValue()).isEqualByComparingTo("12.5");
        assertThat(report.path("total").path("cost_per_success_usd").decimalValue())
                .isEqualByComparingTo(cheapCost.add(workflowCost).divide(BigDecimal.TWO, 12, RoundingMode.HALF_EVEN));

        // the decision is a tag of each of its rows, kept on raw rows
        JsonNode byDecision = bed.admin("/admin/spend?group_by=decision&feature=outcome-e2e&model=claude-haiku-4-5");
        assertThat(byDecision.path("rows").get(0).path("decision").asText()).isEqualTo("refund-4711");
        assertThat(byDecision.path("rows").get(0).path("cost_usd").decimalValue()).isEqualByComparingTo(workflowCost);
    }

    @Test
    void outcomeMistakesAreClear400s() throws Exception {
        Map<String, String> cases = Map.of(
                "{\"success\":true}", "name either 'request_id'",
                "{\"request_id\":\"r\",\"decision\":\"d\",\"success\":true}", "not both or neither",
                "{\"request_id\":\"r\"}", "'success' must be true or false",
                "{\"request_id\":\"r\",\"success\":\"yes\"}", "'success' must be true or false",
                "{\"request_id\":\"r\",\"success\":true,\"value_usd\":\"lots\"}", "'value_usd' must be a decimal",
                "{\"request_id\":\"r\",\"success\":true,\"value_usd\":-3}", "must not be negative",
                "[1,2]", "must be a JSON object",
                "{nope", "malformed JSON");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            HttpResponse<String> r = admin("POST", "/admin/outcomes", c.getKey());
            assertThat(r.statusCode()).as(c.getKey()).isEqualTo(400);
            assertThat(Json.parse(r.body()).path("error").path("message").asText()).as(c.getKey()).contains(c.getValue());
        }
        HttpResponse<String> large = admin("POST", "/admin/outcomes", "{\"decision\":\"" + "x".repeat(20_000) + "\",\"success\":true}");
        assertThat(large.statusCode()).isEqualTo(413);
        HttpResponse<String> put = admin("PUT", "/admin/outcomes", "{}");
        assertThat(put.statusCode()).isEqualTo(405);
        HttpResponse<String> noToken = bed.http.send(HttpRequest.newBuilder(URI.create(bed.url() + "/admin/outcomes"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noToken.statusCode()).isEqualTo(401);
        // a bad decision header is refused before any spend
        HttpResponse<String> r = bed.post("/v1/chat/completions", "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                "authorization", "Bearer " + TestBed.KEY, "x-tollgate-decision", "x".repeat(200));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("x-tollgate-decision");
    }

    @Test
    void focusDownloadMatchesTheLedger() throws Exception {
        chat("gpt-4o-mini", "feature=focus-e2e", null, "focus");
        HttpResponse<String> csv = admin("GET", "/admin/export/focus?format=csv&since=1d", null);
        assertThat(csv.statusCode()).isEqualTo(200);
        assertThat(csv.headers().firstValue("content-type").orElseThrow()).startsWith("text/csv");
        List<String> lines = csv.body().lines().toList();
        List<String> header = List.of(lines.getFirst().split(","));
        assertThat(header).contains("BilledCost", "BillingCurrency", "ChargePeriodStart", "ServiceProviderName", "Tags");
        int billed = header.indexOf("BilledCost");
        BigDecimal sum = BigDecimal.ZERO;
        for (String line : lines.subList(1, lines.size())) sum = sum.add(new BigDecimal(line.split(",")[billed]));
        // the export covers whole hours, so compare with the ledger over the same whole hours
        String hourAgo = java.time.Instant.now().minus(java.time.Duration.ofDays(1)).truncatedTo(java.time.temporal.ChronoUnit.HOURS).toString();
        assertThat(sum).isEqualByComparingTo(bed.admin("/admin/spend?from=" + hourAgo).path("total").path("cost_usd").decimalValue());

        HttpResponse<byte[]> parquet = bed.http.send(HttpRequest.newBuilder(URI.create(bed.url() + "/admin/export/focus?format=parquet"))
                .header("authorization", "Bearer " + TestBed.ADMIN).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(parquet.statusCode()).isEqualTo(200);
        assertThat(new String(parquet.body(), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("PAR1");
        HttpResponse<String> bad = admin("GET", "/admin/export/focus?format=xlsx", null);
        assertThat(bad.statusCode()).isEqualTo(400);
    }
}
