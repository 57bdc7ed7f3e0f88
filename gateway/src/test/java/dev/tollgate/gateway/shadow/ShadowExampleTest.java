package dev.tollgate.gateway.shadow;

import dev.tollgate.gateway.SandboxGateway;
import dev.tollgate.gateway.Json;
import dev.tollgate.store.ShadowAnswer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's "Shadow" walk-through on examples/shadow-sandbox.yaml: sixty requests to "support", every other one
 * (the 2nd, 4th, …) shadowed on the 0.8-quality candidate, metered under the shadow budget, both answers kept.
 */
class ShadowExampleTest {

    @TempDir
    Path data;

    @Test
    void theWalkThroughShadowsTheSampledRequestsOnTheCandidate() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (SandboxGateway bed = SandboxGateway.example("shadow-sandbox.yaml", data)) {
            Map<String, String> promptOf = new HashMap<>();
            Set<String> expected = new HashSet<>();
            for (int i = 1; i <= 60; i++) {
                String prompt = "Ticket " + i + ": which queue?\nReply with exactly: queue-" + (i % 5);
                String body = Json.object().put("model", "support").set("messages", Json.array().add(Json.object()
                        .put("role", "user").put("content", prompt))).toString();
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(bed.url() + "/v1/chat/completions"))
                        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                promptOf.put(r.headers().firstValue("x-tollgate-request-id").orElseThrow(), prompt);
                if (i % 2 == 0) expected.add(prompt);
            }
            long sampled = expected.size();
            Shadow shadow = bed.services.router().group("support").shadow();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (shadow.sent() + shadow.shed() < sampled || shadow.inFlight() > 0) {
                if (System.nanoTime() > deadline) throw new AssertionError("the shadow calls did not end");
                Thread.sleep(20);
            }
            assertThat(shadow.shed()).isZero(); // the example's max_in_flight (64) is above the 30 samples
            assertThat(shadow.sent()).isEqualTo(sampled);
            bed.services.observability().shadows().flush();
            List<ShadowAnswer> kept = bed.ledger.shadows().answers("support", null, null);
            assertThat(kept).extracting(a -> promptOf.get(a.requestId())).containsExactlyInAnyOrderElementsOf(expected);
            long right = 0;
            for (ShadowAnswer a : kept) {
                String prompt = promptOf.get(a.requestId());
                assertThat(a.candidate()).isEqualTo("gpt-4.1-nano");
                assertThat(a.productionModel()).startsWith("gpt-4o");
                if (ShadowTest.draw(prompt) < 0.8) right++;
                assertThat(a.candidateAnswer().equals(a.productionAnswer())).isEqualTo(ShadowTest.draw(prompt) < 0.8);
            }
            assertThat(right).isPositive();
            // the shadow budget carries what the shadows cost, and nothing else does
            java.math.BigDecimal shadowCost = kept.stream().map(ShadowAnswer::candidateCostUsd).reduce(java.math.BigDecimal.ZERO, java.math.BigDecimal::add);
            assertThat(bed.services.budgets().book().entries().getFirst().state().spent()).isEqualByComparingTo(shadowCost);
        }
    }
}
