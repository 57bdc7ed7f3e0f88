package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** In-flight coalescing: identical requests share one provider call while it runs, and its failure poisons nothing. */
class CoalescingTest {

    @TempDir
    Path data;

    private static List<HttpResponse<String>> concurrently(CacheBed bed, int clients, String path, String body) {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < clients; i++) calls.add(bed.postAsync(path, body));
        return calls.stream().map(CompletableFuture::join).toList();
    }

    private static Map<String, Long> outcomes(List<HttpResponse<String>> responses) {
        return responses.stream().collect(Collectors.groupingBy(
                r -> r.headers().firstValue("x-tollgate-cache").orElse("none"), Collectors.counting()));
    }

    @Test
    void hundredIdenticalConcurrentRequestsMakeOneUpstreamCallAndOneCharge() throws Exception {
        try (CacheBed bed = new CacheBed(data, "cache: {enabled: true}", 0)) {
            String body = "{\"model\":\"slow-model\",\"messages\":[{\"role\":\"user\",\"content\":\"everyone asks this\"}]}";
            long before = bed.upstreamCalls();
            List<HttpResponse<String>> responses = concurrently(bed, 100, "/v1/chat/completions", body);

            assertThat(bed.upstreamCalls() - before).isEqualTo(1);
            assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
            assertThat(responses.stream().map(HttpResponse::body).distinct()).hasSize(1);
            Map<String, Long> outcomes = outcomes(responses);
            assertThat(outcomes.get("miss")).isEqualTo(1);
            // those that arrived while the call ran waited for it; a straggler after it landed is a plain hit
            assertThat(outcomes.getOrDefault("coalesced", 0L) + outcomes.getOrDefault("hit", 0L)).isEqualTo(99);
            assertThat(outcomes.get("coalesced")).isPositive();

            HttpResponse<String> leader = responses.stream()
                    .filter(r -> r.headers().firstValue("x-tollgate-cache").orElse("").equals("miss")).findFirst().orElseThrow();
            BigDecimal cost = new BigDecimal(leader.headers().firstValue("x-tollgate-cost-usd").orElseThrow());
            JsonNode spend = bed.admin("/admin/spend");
            assertThat(spend.path("total").path("requests").asLong()).isEqualTo(100);
            assertThat(spend.path("total").path("cost_usd").decimalValue()).isEqualByComparingTo(cost);
            assertThat(spend.path("total").path("saved_usd").decimalValue()).isEqualByComparingTo(cost.multiply(BigDecimal.valueOf(99)));
            assertThat(bed.services.cache().inFlight()).isZero();
        }
    }

    @Test
    void concurrentStreamsEachGetTheWholeStreamFromOneCall() throws Exception {
        try (CacheBed bed = new CacheBed(data, "cache: {enabled: true}", 0)) {
            String body = "{\"model\":\"slow-model\",\"stream\":true,\"max_tokens\":20,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"stream to all of us\"}]}";
            long before = bed.upstreamCalls();
            List<HttpResponse<String>> responses = concurrently(bed, 20, "/v1/chat/completions", body);
            assertThat(bed.upstreamCalls() - before).isEqualTo(1);
            String leader = responses.stream().filter(r -> r.headers().firstValue("x-tollgate-cache").orElse("").equals("miss"))
                    .findFirst().orElseThrow().body();
            String content = leader.replaceAll("(?m)^: x-tollgate-cost-usd=.*\\n\\n", "");
            assertThat(content).contains("data: [DONE]");
            for (HttpResponse<String> r : responses) {
                assertThat(r.headers().firstValue("content-type").orElseThrow()).startsWith("text/event-stream");
                // the same events; only the cost comment differs (0 for all but the one that paid)
                assertThat(r.body().replaceAll("(?m)^: x-tollgate-cost-usd=.*\\n\\n", "")).isEqualTo(content);
            }
            assertThat(outcomes(responses).get("coalesced")).isPositive();
        }
    }

    @Test
    void whenTheFirstClientHangsUpItsWaitersStillGetTheAnswer() throws Exception {
        try (CacheBed bed = new CacheBed(data, "cache: {enabled: true}", 0)) {
            String body = "{\"model\":\"slow-model\",\"messages\":[{\"role\":\"user\",\"content\":\"I will hang up\"}]}";
            long before = bed.upstreamCalls();
            try (java.net.Socket leader = new java.net.Socket("127.0.0.1", bed.gateway.port())) {
                leader.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                        + "authorization: Bearer " + CacheBed.KEY + "\r\ncontent-length: " + body.length() + "\r\n\r\n" + body)
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                while (bed.upstreamCalls() == before) Thread.sleep(5); // the leader's call is at the slow provider
                CompletableFuture<HttpResponse<String>> waiter = bed.postAsync("/v1/chat/completions", body);
                while (bed.services.cache().waiting() == 0) Thread.sleep(5); // the waiter joined the leader's call
                leader.close();
                HttpResponse<String> answer = waiter.join();
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(answer.headers().firstValue("x-tollgate-cache")).hasValue("coalesced");
                assertThat(answer.body()).contains("chat.completion");
            }
            assertThat(bed.upstreamCalls() - before).isEqualTo(1);
            // the call was not cancelled: it completed, was metered for the leader, and its answer is stored
            HttpResponse<String> later = bed.post("/v1/chat/completions", body);
            assertThat(later.headers().firstValue("x-tollgate-cache")).hasValue("hit");
        }
    }

    @Test
    void aWaiterWithAnIdempotencyKeyLeavesItsAnswerForItsRetry() throws Exception {
        try (CacheBed bed = new CacheBed(data, "cache: {enabled: true}", 0)) {
            String body = "{\"model\":\"slow-model\",\"messages\":[{\"role\":\"user\",\"content\":\"join then retry\"}]}";
            long before = bed.upstreamCalls();
            // the first asks for its answer not to be stored, so only the idempotency window can answer the retry
            CompletableFuture<HttpResponse<String>> first = bed.postAsync("/v1/chat/completions", body, "x-tollgate-cache-ttl", "0");
            while (bed.upstreamCalls() == before) Thread.sleep(5);
            HttpResponse<String> waiter = bed.post("/v1/chat/completions", body, "idempotency-key", "job-7");
            assertThat(waiter.headers().firstValue("x-tollgate-cache")).hasValue("coalesced");
            HttpResponse<String> retry = bed.post("/v1/chat/completions", body, "idempotency-key", "job-7");
            assertThat(retry.headers().firstValue("x-tollgate-cache")).hasValue("idempotent");
            assertThat(retry.body()).isEqualTo(waiter.body()).isEqualTo(first.join().body());
            assertThat(bed.post("/v1/chat/completions", body).headers().firstValue("x-tollgate-cache")).hasValue("miss");
            assertThat(bed.upstreamCalls() - before).isEqualTo(2);
        }
    }

    @Test
    void aFailedFirstCallGivesWaitersTheErrorAndCachesNothing() throws Exception {
        try (CacheBed bed = new CacheBed(data, "cache: {enabled: true, on_leader_error: fail}", 1)) {
            String body = "{\"model\":\"flaky-model\",\"messages\":[{\"role\":\"user\",\"content\":\"will fail once\"}]}";
            List<HttpResponse<String>> responses = concurrently(bed, 10, "/v1/chat/completions", body);
            assertThat(bed.flakyCalls.get()).isEqualTo(1);
            assertThat(responses).allSatisfy(r -> {
                assertThat(r.statusCode()).isEqualTo(500);
                assertThat(r.body()).contains("flaky upstream failed call 1");
            });
            // nothing was cached from the error: the next request asks again, and succeeds
            HttpResponse<String> next = bed.post("/v1/chat/completions", body);
            assertThat(next.statusCode()).isEqualTo(200);
            assertThat(next.headers().firstValue("x-tollgate-cache")).hasValue("miss");
            assertThat(next.body()).contains("answer of call 2");
            assertThat(bed.flakyCalls.get()).isEqualTo(2);
            JsonNode waiters = bed.admin("/admin/spend?group_by=cache,status");
            long coalescedErrors = 0;
            for (JsonNode r : waiters.path("rows")) {
                if (r.path("cache").asText().equals("coalesced") && r.path("status").asText().equals("500")) coalescedErrors = r.path("requests").asLong();
            }
            assertThat(coalescedErrors).isEqualTo(9);
        }
    }

    @Test
    void withRetryWaitersOfAFailedCallTryOnceMoreTogether() throws Exception {
        try (CacheBed bed = new CacheBed(data, "cache: {enabled: true, on_leader_error: retry}", 1)) {
            String body = "{\"model\":\"flaky-model\",\"messages\":[{\"role\":\"user\",\"content\":\"retry together\"}]}";
            List<HttpResponse<String>> responses = concurrently(bed, 10, "/v1/chat/completions", body);
            // the first call failed; its nine waiters retried as one new call, which succeeded
            assertThat(bed.flakyCalls.get()).isEqualTo(2);
            assertThat(responses.stream().filter(r -> r.statusCode() == 500)).hasSize(1);
            assertThat(responses.stream().filter(r -> r.statusCode() == 200))
                    .hasSize(9).allSatisfy(r -> assertThat(r.body()).contains("answer of call 2"));
        }
    }
}
