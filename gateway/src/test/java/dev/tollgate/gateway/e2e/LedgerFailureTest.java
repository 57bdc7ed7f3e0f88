package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import dev.tollgate.store.LedgerEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A full ledger disk seen from outside: /health, /metrics, and 503 once no row can be kept. */
class LedgerFailureTest {

    private static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path dir;

    @Test
    void aFullDiskIsDegradedThenRefusedInTheClientsFormatAndRecoversWhenSpaceReturns() throws Exception {
        try (TestBed bed = new TestBed(dir, "ledger:\n  memory_rows: 5\n  spool_max_mb: 1\n  min_free_mb: 0\n")) {
            assertThat(get(bed, "/health").body()).isEqualTo("{\"status\":\"ok\"}");

            bed.diskFull.set(true);
            HttpResponse<String> served = bed.post("/v1/chat/completions", CHAT, "authorization", "Bearer " + TestBed.KEY);
            assertThat(served.statusCode()).isEqualTo(200);
            bed.ledger.flush(); // the writer tries now, not when a row group's worth or 10 s of rows have gathered
            awaitHealth(bed, "degraded");
            HttpResponse<String> health = get(bed, "/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(Json.parse(health.body()).path("reason").asText()).contains("No space left on device");

            // fill memory and the 1 MB spool as a long outage under load would
            for (int i = 0; i < 20_000 && !bed.ledger.health().refusing(); i++) bed.ledger.append(row(i));
            assertThat(bed.ledger.health().refusing()).isTrue();

            HttpResponse<String> refused = bed.post("/v1/chat/completions", CHAT, "authorization", "Bearer " + TestBed.KEY);
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("retry-after")).hasValue("5");
            assertThat(Json.parse(refused.body()).path("error").path("code").asText()).isEqualTo("ledger_unavailable");
            HttpResponse<String> refusedAnthropic = bed.post("/v1/messages",
                    "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    "x-api-key", TestBed.KEY, "anthropic-version", "2023-06-01");
            assertThat(refusedAnthropic.statusCode()).isEqualTo(503);
            assertThat(Json.parse(refusedAnthropic.body()).path("type").asText()).isEqualTo("error");
            assertThat(refusedAnthropic.body()).doesNotContain("Exception");

            HttpResponse<String> failing = get(bed, "/health");
            assertThat(failing.statusCode()).isEqualTo(503);
            assertThat(Json.parse(failing.body()).path("status").asText()).isEqualTo("failing");
            String metrics = get(bed, "/metrics").body();
            assertThat(metrics).contains("tollgate_ledger_refusing 1.0").contains("tollgate_ledger_degraded 1.0")
                    // refusing began as memory filled, before a row was lost
                    .containsPattern("tollgate_ledger_spooled_rows [1-9]").contains("tollgate_ledger_lost_rows_total 0.0")
                    .containsPattern("tollgate_ledger_lag_seconds [0-9.E-]+");

            bed.diskFull.set(false);
            bed.ledger.flush();
            awaitHealth(bed, "ok");
            assertThat(bed.post("/v1/chat/completions", CHAT, "authorization", "Bearer " + TestBed.KEY).statusCode()).isEqualTo(200);
            bed.ledger.flush();
            String servedId = served.headers().firstValue("x-tollgate-request-id").orElseThrow();
            assertThat(bed.ledger.find(servedId)).isPresent();
            assertThat(get(bed, "/metrics").body()).contains("tollgate_ledger_degraded 0.0").contains("tollgate_ledger_spooled_rows 0.0");
        }
    }

    private static LedgerEntry row(int i) {
        return new LedgerEntry(Instant.parse("2025-03-01T10:00:00Z").plusMillis(i), "fill-" + i, "k", Map.of(), "openai.chat",
                "sandbox", "gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", new Usage(10, 0, 0, 0, 5, 0),
                new BigDecimal("0.000001"), "v", 200, null, 1000 + i, -1, false, false);
    }

    private static void awaitHealth(TestBed bed, String status) throws Exception {
        for (int i = 0; i < 500; i++) {
            JsonNode h = Json.parse(get(bed, "/health").body());
            if (h.path("status").asText().equals(status)) return;
            Thread.sleep(10);
        }
        throw new AssertionError("/health never said " + status + ": " + get(bed, "/health").body());
    }

    private static HttpResponse<String> get(TestBed bed, String path) throws Exception {
        return bed.http.send(HttpRequest.newBuilder(URI.create(bed.url() + path)).header("authorization", "Bearer " + TestBed.ADMIN).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
