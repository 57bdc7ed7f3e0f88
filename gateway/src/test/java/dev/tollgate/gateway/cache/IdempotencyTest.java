package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code Idempotency-Key}: a retry within the window gets the first answer and is not charged again, even while the
 * first is still running. The response cache is off here, so what is shown is the idempotency window alone.
 */
class IdempotencyTest {

    @TempDir
    static Path data;
    static CacheBed bed;

    @BeforeAll
    static void start() throws Exception {
        bed = new CacheBed(data, "cache: {enabled: false, idempotency_window: 60s}", 0);
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    @Test
    void aRetryWhileTheFirstIsRunningGetsItsAnswerAndPaysNothing() throws Exception {
        // n = 2 could never be served from a cache; the key alone makes the retry free
        String body = "{\"model\":\"slow-model\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"charge me once\"}]}";
        long before = bed.upstreamCalls();
        CompletableFuture<HttpResponse<String>> first = bed.postAsync("/v1/chat/completions", body, "idempotency-key", "order-42");
        while (bed.upstreamCalls() == before) Thread.sleep(5); // the first is now waiting on the slow provider
        HttpResponse<String> retry = bed.post("/v1/chat/completions", body, "idempotency-key", "order-42");
        HttpResponse<String> original = first.join();

        assertThat(bed.upstreamCalls() - before).isEqualTo(1);
        assertThat(original.statusCode()).isEqualTo(200);
        assertThat(original.headers().firstValue("x-tollgate-cache")).isEmpty();
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.headers().firstValue("x-tollgate-cache")).hasValue("idempotent");
        assertThat(retry.headers().firstValue("x-tollgate-cost-usd")).hasValue("0");
        assertThat(retry.body()).isEqualTo(original.body());

        // after the first finished, a retry is answered from the window too
        HttpResponse<String> late = bed.post("/v1/chat/completions", body, "idempotency-key", "order-42");
        assertThat(late.headers().firstValue("x-tollgate-cache")).hasValue("idempotent");
        assertThat(late.body()).isEqualTo(original.body());
        assertThat(bed.upstreamCalls() - before).isEqualTo(1);

        BigDecimal cost = new BigDecimal(original.headers().firstValue("x-tollgate-cost-usd").orElseThrow());
        JsonNode rows = bed.admin("/admin/requests?limit=100").path("requests");
        JsonNode retryRow = ResponseCacheTest.row(rows, retry.headers().firstValue("x-tollgate-request-id").orElseThrow());
        assertThat(retryRow.path("cache").asText()).isEqualTo("idempotent");
        assertThat(retryRow.path("cost_usd").decimalValue()).isEqualByComparingTo("0");
        assertThat(retryRow.path("saved_usd").decimalValue()).isEqualByComparingTo(cost);

        // the same key from another tenant is another key
        HttpResponse<String> stranger = bed.postAs("/v1/chat/completions", body, CacheBed.OTHER_KEY, "idempotency-key", "order-42");
        assertThat(stranger.headers().firstValue("x-tollgate-cache")).isEmpty();
        assertThat(bed.upstreamCalls() - before).isEqualTo(2);
    }

    @Test
    void pastTheWindowTheKeyIsForgotten() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"short window\"}]}";
        try (CacheBed brief = new CacheBed(data.resolve("brief"), "cache: {idempotency_window: 1s}", 0)) {
            long before = brief.upstreamCalls();
            brief.post("/v1/chat/completions", body, "idempotency-key", "w-1");
            brief.clock.advance(Duration.ofMillis(1001));
            HttpResponse<String> afterWindow = brief.post("/v1/chat/completions", body, "idempotency-key", "w-1");
            assertThat(afterWindow.headers().firstValue("x-tollgate-cache")).isEmpty();
            assertThat(brief.upstreamCalls() - before).isEqualTo(2);
        }
    }

    @Test
    void theSameKeyForADifferentRequestIsRefused() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"first\"}]}";
        String other = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"second\"}]}";
        assertThat(bed.post("/v1/chat/completions", body, "idempotency-key", "k-1").statusCode()).isEqualTo(200);
        HttpResponse<String> reused = bed.post("/v1/chat/completions", other, "idempotency-key", "k-1");
        assertThat(reused.statusCode()).isEqualTo(409);
        assertThat(reused.body()).contains("idempotency_key_reused").contains("k-1");
    }

    @Test
    void aFailedFirstCallIsNotKeptSoTheRetryAsksAgain() throws Exception {
        String body = "{\"model\":\"nowhere\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        // an unknown model fails before the cache; a provider error is the interesting case
        String flaky = "{\"model\":\"flaky-model\",\"messages\":[{\"role\":\"user\",\"content\":\"retry me\"}]}";
        try (CacheBed failing = new CacheBed(data.resolve("flaky"), "cache: {enabled: false}", 1)) {
            HttpResponse<String> first = failing.post("/v1/chat/completions", flaky, "idempotency-key", "pay-1");
            HttpResponse<String> retry = failing.post("/v1/chat/completions", flaky, "idempotency-key", "pay-1");
            assertThat(first.statusCode()).isEqualTo(500);
            assertThat(retry.statusCode()).isEqualTo(200);
            assertThat(retry.body()).contains("answer of call 2");
            assertThat(failing.flakyCalls.get()).isEqualTo(2);
            assertThat(failing.post("/v1/chat/completions", body).statusCode()).isEqualTo(404);
        }
    }
}
