package dev.tollgate.gateway.route;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Routes on the real gateway and sandbox: each failure kind falls back (or retries) before the client sees a byte,
 * every attempt is a ledger row linked by the request id, the answer names its deployment, a stream refused before
 * its first content is never charged, and a deployment whose circuit opens is skipped.
 */
class FallbackTest {

    private static final String ROUTES = """
            routes:
              - {name: after-500, retries: 0, deployments: [{provider: broken, model: gpt-4o-mini}, {provider: sandbox, model: gpt-4o-mini}]}
              - {name: after-429, deployments: [{provider: limited, model: gpt-4o-mini}, {provider: sandbox, model: gpt-4o-mini}]}
              - {name: after-refused, retries: 0, deployments: [{provider: nowhere, model: gpt-4o-mini}, {provider: sandbox, model: gpt-4o-mini}]}
              - {name: after-timeout, retries: 0, first_content_timeout_ms: 1000, deployments: [{provider: silent, model: gpt-4o-mini}, {provider: sandbox, model: gpt-4o-mini}]}
              - {name: after-overload, retries: 0, deployments: [{provider: erroring-anthropic, model: claude-haiku-4-5}, {provider: sandbox, model: gpt-4o-mini}]}
              - {name: after-stall, retries: 0, first_content_timeout_ms: 1000, deployments: [{provider: stalling, model: gpt-4o-mini}, {provider: sandbox, model: gpt-4o-mini}]}
              - {name: after-garble, retries: 0, deployments: [{provider: garbled, model: gpt-4o-mini}, {provider: sandbox, model: gpt-4o-mini}]}
              - {name: after-cut, retries: 0, deployments: [{provider: cutting, model: gpt-4o-mini}, {provider: sandbox, model: gpt-4o-mini}]}
              - {name: overloaded-only, retries: 0, deployments: [{provider: erroring-anthropic, model: claude-haiku-4-5}]}
              - {name: erroring-only, retries: 0, deployments: [{provider: erroring, model: gpt-4o-mini}]}
              - {name: broken-thrice, retries: 2, backoff_ms: 1, deployments: [{provider: broken, model: gpt-4o-mini}]}
              - name: breaker
                retries: 0
                circuit_breaker: {window: 2, min_calls: 2, open_ms: 600000}
                deployments: [{provider: broken, model: gpt-4o-mini}, {provider: sandbox, model: gpt-4o-mini}]
              - {name: limited-waits, retries: 1, max_backoff_ms: 3000, deployments: [{provider: limited, model: gpt-4o-mini}]}
              - {name: limited-gives-up, retries: 1, max_backoff_ms: 500, deployments: [{provider: limited, model: gpt-4o-mini}]}
              - name: all-broken
                retries: 0
                circuit_breaker: {window: 1, min_calls: 1, open_ms: 600000}
                deployments: [{provider: broken, model: gpt-4o-mini}, {provider: broken, model: gpt-4o}]
              - {name: with-unpriced, deployments: [{provider: sandbox, model: gpt-4o-mini}, {provider: sandbox, model: house-model}]}
              - {name: with-free, deployments: [{provider: sandbox, model: gpt-4o-mini}, {provider: sandbox, model: house-model, free: true}]}
              - {name: cheap-then-opus, deployments: [{provider: sandbox, model: gpt-4o-mini}, {provider: sandbox-anthropic, model: claude-opus-4-1}]}
            spend_controls:
              budgets:
                - {name: ads-small, scope: "team:ads", period: monthly, limit_usd: "0.01"}
              sandbox_keys:
                - {key: ads-dev, cap_usd: "1"}
            """;

    @TempDir
    static Path data;
    static TestBed bed;

    @BeforeAll
    static void start() throws Exception {
        bed = new TestBed(data, ROUTES);
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    private static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}";
    }

    private static HttpResponse<String> openAi(String model, boolean stream) throws Exception {
        return bed.post("/v1/chat/completions", chat(model, stream), "authorization", "Bearer " + TestBed.KEY);
    }

    private static HttpResponse<String> anthropic(String model, boolean stream) throws Exception {
        return bed.post("/v1/messages", chat(model, stream), "x-api-key", TestBed.KEY, "anthropic-version", "2023-06-01");
    }

    /** The ledger rows of one request, first attempt first. */
    private static List<JsonNode> rows(HttpResponse<String> response) throws Exception {
        String id = response.headers().firstValue("x-tollgate-request-id").orElseThrow();
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode row : bed.admin("/admin/requests?limit=200").path("requests")) {
            if (row.path("request_id").asText().equals(id)) out.add(row);
        }
        out.sort(java.util.Comparator.comparingInt(r -> r.path("attempt").asInt(1)));
        return out;
    }

    private static void assertFellBack(HttpResponse<String> response, String firstProvider, String reason, int firstStatus) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-tollgate-deployment")).hasValue("sandbox/gpt-4o-mini");
        List<JsonNode> rows = rows(response);
        assertThat(rows).hasSize(2);
        JsonNode failed = rows.get(0);
        assertThat(failed.path("attempt").asInt()).isEqualTo(1);
        assertThat(failed.path("provider").asText()).isEqualTo(firstProvider);
        assertThat(failed.path("attempt_reason").asText()).isEqualTo(reason);
        assertThat(failed.path("status").asInt()).isEqualTo(firstStatus);
        assertThat(failed.path("cost_usd").decimalValue()).isZero();
        assertThat(failed.path("estimated").asBoolean()).isFalse();
        assertThat(failed.path("input_tokens").asLong()).isZero();
        JsonNode served = rows.get(1);
        assertThat(served.path("attempt").asInt()).isEqualTo(2);
        assertThat(served.path("provider").asText()).isEqualTo("sandbox");
        assertThat(served.path("attempt_reason").isNull()).isTrue();
        assertThat(served.path("status").asInt()).isEqualTo(200);
        assertThat(served.path("cost_usd").decimalValue()).isPositive();
        assertThat(served.path("deployment").asText()).isEqualTo(failed.path("deployment").asText());
    }

    @Test
    void fallsBackAfterA500() throws Exception {
        assertFellBack(openAi("after-500", false), "broken", "server_error", 500); // the provider's status, which a client would have had
    }

    @Test
    void theRequestsLookUpShowsEveryAttemptAndWhyItWasTriedAgain() throws Exception {
        var response = openAi("after-500", false);
        String id = response.headers().firstValue("x-tollgate-request-id").orElseThrow();
        JsonNode lookup = bed.admin("/admin/requests/" + id);
        assertThat(lookup.path("request").path("attempt").asInt()).isEqualTo(2); // the attempt that answered
        JsonNode attempts = lookup.path("attempts");
        assertThat(attempts).hasSize(2);
        assertThat(attempts.get(0).path("provider").asText()).isEqualTo("broken");
        assertThat(attempts.get(0).path("attempt_reason").asText()).isEqualTo("server_error");
        assertThat(attempts.get(0).path("cost_usd").decimalValue()).isZero();
        assertThat(attempts.get(1).path("provider").asText()).isEqualTo("sandbox");
        assertThat(attempts.get(1).path("status").asInt()).isEqualTo(200);

        var plain = openAi("gpt-4o-mini", false);
        JsonNode one = bed.admin("/admin/requests/" + plain.headers().firstValue("x-tollgate-request-id").orElseThrow());
        assertThat(one.path("request").path("status").asInt()).isEqualTo(200);
        assertThat(one.has("attempts")).isFalse(); // one call, one row
    }

    @Test
    void fallsBackAfterA429AtOnceRatherThanWaitingItsRetryAfter() throws Exception {
        var response = openAi("after-429", false);
        assertFellBack(response, "limited", "rate_limited", 429);
        assertThat(rows(response).get(0).path("error").asText()).contains("Rate limit");
    }

    @Test
    void fallsBackWhenTheConnectionIsRefused() throws Exception {
        assertFellBack(openAi("after-refused", true), "nowhere", "connection_failed", 502);
    }

    @Test
    void fallsBackAfterATimeout() throws Exception {
        assertFellBack(openAi("after-timeout", false), "silent", "timeout", 504);
    }

    @Test
    void anInBandOverloadAfterMessageStartFallsBackWithoutTheClientSeeingIt() throws Exception {
        var response = anthropic("after-overload", true);
        assertFellBack(response, "erroring-anthropic", "stream_error", 529);
        assertThat(response.body()).doesNotContain("overloaded").doesNotContain("event: error");
        assertThat(response.body().split("event: message_start", -1)).hasSize(2); // one message, from the fallback
        assertThat(response.body()).contains("content_block_delta").contains("message_stop");
    }

    @Test
    void aStallBeforeTheFirstDeltaFallsBack() throws Exception {
        var response = openAi("after-stall", true);
        assertFellBack(response, "stalling", "stream_stall", 504);
        assertThat(response.body()).endsWith("data: [DONE]\n\n");
    }

    @Test
    void aMalformedFirstEventFallsBack() throws Exception {
        assertFellBack(openAi("after-garble", true), "garbled", "stream_malformed", 502);
    }

    @Test
    void noRetryOnceTheAnswerHasBegun() throws Exception {
        var response = openAi("after-cut", true);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-tollgate-deployment")).hasValue("cutting/gpt-4o-mini");
        assertThat(response.body()).contains("\"content\":").doesNotContain("[DONE]");
        List<JsonNode> rows = rows(response);
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).path("provider").asText()).isEqualTo("cutting");
        assertThat(rows.get(0).path("estimated").asBoolean()).isTrue(); // what it relayed is charged, counted locally
    }

    @Test
    void withNoFallbackLeftTheProvidersOwnErrorReachesTheClientAndNothingIsCharged() throws Exception {
        var anthropicClient = anthropic("overloaded-only", true);
        assertThat(anthropicClient.statusCode()).isEqualTo(529);
        JsonNode body = Json.parse(anthropicClient.body());
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("type").asText()).isEqualTo("overloaded_error");
        assertThat(body.path("error").path("message").asText()).contains("Overloaded");
        List<JsonNode> rows = rows(anthropicClient);
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).path("cost_usd").decimalValue()).isZero();
        assertThat(rows.get(0).path("input_tokens").asLong()).isZero();
        assertThat(rows.get(0).path("estimated").asBoolean()).isFalse();
        assertThat(rows.get(0).path("error").asText()).contains("before its first content").contains("Overloaded");

        var openAiClient = openAi("overloaded-only", true);
        assertThat(openAiClient.statusCode()).isEqualTo(529);
        assertThat(Json.parse(openAiClient.body()).path("error").path("type").asText()).isEqualTo("overloaded_error");

        var serverError = openAi("erroring-only", true);
        assertThat(serverError.statusCode()).isEqualTo(500);
        assertThat(Json.parse(serverError.body()).path("error").path("type").asText()).isEqualTo("server_error");
        assertThat(rows(serverError).getFirst().path("cost_usd").decimalValue()).isZero();
    }

    @Test
    void aPlainModelRefusedInBandAnswersTheProvidersErrorAndChargesNothing() throws Exception {
        // issue 13: this was "the provider closed the stream before it was complete", charged an estimate
        var anthropicClient = anthropic("overloaded-claude", true);
        assertThat(anthropicClient.statusCode()).isEqualTo(529);
        assertThat(Json.parse(anthropicClient.body()).path("error").path("type").asText()).isEqualTo("overloaded_error");
        assertThat(anthropicClient.headers().firstValue("x-tollgate-deployment")).isEmpty();
        JsonNode row = rows(anthropicClient).getFirst();
        assertThat(row.path("cost_usd").decimalValue()).isZero();
        assertThat(row.path("input_tokens").asLong()).isZero();
        assertThat(row.path("estimated").asBoolean()).isFalse();
        assertThat(row.path("status").asInt()).isEqualTo(529);
        assertThat(row.has("attempt")).isFalse(); // a plain model's one attempt

        var openAiClient = openAi("erroring-model", true);
        assertThat(openAiClient.statusCode()).isEqualTo(500);
        assertThat(Json.parse(openAiClient.body()).path("error").path("type").asText()).isEqualTo("server_error");
        assertThat(rows(openAiClient).getFirst().path("cost_usd").decimalValue()).isZero();
    }

    @Test
    void retriesTheSameDeploymentUpToItsRetriesThenAnswersTheLastError() throws Exception {
        var response = openAi("broken-thrice", false);
        assertThat(response.statusCode()).isEqualTo(500);
        List<JsonNode> rows = rows(response);
        assertThat(rows).extracting(r -> r.path("attempt").asInt()).containsExactly(1, 2, 3);
        assertThat(rows).extracting(r -> r.path("attempt_reason").asText(null)).containsExactly("server_error", "server_error", null);
        assertThat(rows).allSatisfy(r -> assertThat(r.path("provider").asText()).isEqualTo("broken"));
    }

    @Test
    void aDeploymentWhoseCircuitOpensIsSkippedAndReportedUnhealthy() throws Exception {
        assertFellBack(openAi("breaker", false), "broken", "server_error", 500);
        assertFellBack(openAi("breaker", false), "broken", "server_error", 500);
        var skipped = openAi("breaker", false);
        assertThat(skipped.statusCode()).isEqualTo(200);
        assertThat(skipped.headers().firstValue("x-tollgate-deployment")).hasValue("sandbox/gpt-4o-mini");
        List<JsonNode> rows = rows(skipped);
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).path("provider").asText()).isEqualTo("sandbox");

        JsonNode route = find(bed.admin("/admin/routes").path("routes"), "name", "breaker");
        JsonNode broken = find(route.path("deployments"), "deployment", "broken/gpt-4o-mini");
        assertThat(broken.path("circuit").asText()).isEqualTo("open");
        assertThat(broken.path("healthy").asBoolean()).isFalse();
        assertThat(broken.path("failures").asLong()).isEqualTo(2);
        assertThat(find(route.path("deployments"), "deployment", "sandbox/gpt-4o-mini").path("served").asLong()).isEqualTo(3);

        HttpResponse<String> metrics = bed.http.send(HttpRequest.newBuilder(URI.create(bed.url() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("tollgate_route_circuit_state{deployment=\"broken/gpt-4o-mini\",route=\"breaker\"} 1.0");
        // never answered, so no latency measured: NaN, not 0 (as /admin/routes says null)
        assertThat(broken.path("latency_ms").isNull()).isTrue();
        assertThat(metrics.body()).contains("tollgate_route_latency_seconds{deployment=\"broken/gpt-4o-mini\",route=\"breaker\"} NaN");
    }

    @Test
    void whenEveryDeploymentIsOutTheRouteAnswers503AndRecordsOneRow() throws Exception {
        var first = openAi("all-broken", false);
        assertThat(first.statusCode()).isEqualTo(500);
        assertThat(rows(first)).extracting(r -> r.path("upstream_model").asText()).containsExactly("gpt-4o-mini", "gpt-4o");
        var out = openAi("all-broken", false);
        assertThat(out.statusCode()).isEqualTo(503);
        assertThat(out.headers().firstValue("retry-after")).hasValue("600");
        assertThat(Json.parse(out.body()).path("error").path("message").asText()).contains("every deployment of route 'all-broken'");
        assertThat(rows(out)).hasSize(1);
    }

    @Test
    void aRetryOnTheSameDeploymentWaitsItsRetryAfter() throws Exception {
        long start = System.nanoTime();
        var response = openAi("limited-waits", false); // the sandbox's 429 says retry-after: 1
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(1_000_000_000L);
        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("retry-after")).hasValue("1");
        assertThat(rows(response)).extracting(r -> r.path("attempt_reason").asText(null)).containsExactly("rate_limited", null);
    }

    @Test
    void aRetryAfterLongerThanTheLongestBackoffIsNotWaitedFor() throws Exception {
        var response = openAi("limited-gives-up", false);
        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(rows(response)).hasSize(1);
    }

    @Test
    void theBudgetReservesTheDearestDeploymentsWorstCase() throws Exception {
        String body = "{\"model\":\"%s\",\"max_tokens\":1000,\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}";
        // gpt-4o-mini alone: at most about $0.0006, well within $0.01
        var plain = bed.post("/v1/chat/completions", body.formatted("gpt-4o-mini"), "authorization", "Bearer " + TestBed.OTHER_KEY);
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
        // the same model first, but Claude Opus ($75 per million output tokens) may serve it: $0.075 is reserved
        var routed = bed.post("/v1/chat/completions", body.formatted("cheap-then-opus"), "authorization", "Bearer " + TestBed.OTHER_KEY);
        assertThat(routed.statusCode()).as(routed.body()).isEqualTo(429);
        assertThat(Json.parse(routed.body()).path("error").path("type").asText()).isEqualTo("budget_exceeded");
        assertThat(Json.parse(routed.body()).path("error").path("message").asText()).contains("may cost up to $0.075");
    }

    @Test
    void whereABudgetAppliesARouteThatMayReachAnUnpricedDeploymentIsRefused() throws Exception {
        var refused = bed.post("/v1/chat/completions", chat("with-unpriced", false), "authorization", "Bearer " + TestBed.OTHER_KEY);
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(Json.parse(refused.body()).path("error").path("code").asText()).isEqualTo("model_not_priced");
        assertThat(Json.parse(refused.body()).path("error").path("message").asText()).contains("house-model");
        var free = bed.post("/v1/chat/completions", chat("with-free", false), "authorization", "Bearer " + TestBed.OTHER_KEY);
        assertThat(free.statusCode()).as(free.body()).isEqualTo(200);
    }

    @Test
    void aSandboxKeyMayUseARouteOnlyWhenEveryDeploymentIsInTheSandbox() throws Exception {
        // after-500 may fall back from "broken" (not a sandbox provider) to "sandbox": refused as a whole
        var refused = bed.post("/v1/chat/completions", chat("after-500", false), "authorization", "Bearer " + TestBed.OTHER_KEY);
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(Json.parse(refused.body()).path("error").path("message").asText()).contains("sandbox key");
    }

    @Test
    void theModelListNamesEveryDeploymentOfARouteNotOnlyTheFirst() throws Exception {
        HttpResponse<String> list = bed.http.send(HttpRequest.newBuilder(URI.create(bed.url() + "/v1/models"))
                .header("authorization", "Bearer " + TestBed.KEY).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode route = find(Json.parse(list.body()).path("data"), "id", "cheap-then-opus").path("tollgate");
        // the first deployment stands for the route (its price, its upstream model); the fallback to Claude is listed too
        assertThat(route.path("upstream_model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(route.path("deployments").findValuesAsText("name"))
                .containsExactly("sandbox/gpt-4o-mini", "sandbox-anthropic/claude-opus-4-1");
        assertThat(route.path("deployments").findValuesAsText("model")).containsExactly("gpt-4o-mini", "claude-opus-4-1");
        // a plain model is one deployment, listed by its upstream_model alone
        assertThat(find(Json.parse(list.body()).path("data"), "id", "gpt-4o-mini").path("tollgate").has("deployments")).isFalse();
    }

    private static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) if (n.path(field).asText().equals(value)) return n;
        throw new AssertionError("no " + field + "=" + value + " in " + array);
    }
}
