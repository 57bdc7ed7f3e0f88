package dev.tollgate.gateway.e2e;

import dev.tollgate.gateway.TestBed;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A gateway that is told to stop answers every call it had accepted, meters each, then refuses new connections. */
class GracefulShutdownTest {

    @TempDir
    Path data;

    @Test
    void callsInFlightWhenTheGatewayStopsAreAnsweredAndMetered() throws Exception {
        TestBed bed = new TestBed(data);
        try {
            String body = "{\"model\":\"slow-model\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            long before = bed.sandbox.requestsReceived();
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(bed.url() + "/v1/chat/completions"))
                        .header("authorization", "Bearer " + TestBed.KEY).header("x-tollgate-tags", "feature=shutdown")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            // the sandbox holds each answer for 400 ms: stop once every call has reached it
            awaitReceived(bed, before + 8);
            bed.gateway.close();

            for (var call : calls) {
                HttpResponse<String> r = call.join();
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.body()).contains("\"usage\"");
            }
            bed.ledger.flush();
            List<SpendRow> rows = bed.ledger.spend(new SpendQuery(List.of(), null, null, Map.of("feature", "shutdown")));
            assertThat(rows.getFirst().requests()).isEqualTo(8);
            // and nothing new is accepted
            assertThatThrownBy(() -> http.sendAsync(HttpRequest.newBuilder(URI.create(bed.url() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).join()).isInstanceOf(CompletionException.class).hasCauseInstanceOf(ConnectException.class);
        } finally {
            bed.services.observability().close();
            bed.ledger.close();
            bed.vertx.close().await();
        }
    }

    /** Waits until the sandbox has received {@code n} requests in all, so the stop lands mid-call. */
    private static void awaitReceived(TestBed bed, long n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (bed.sandbox.requestsReceived() < n && System.nanoTime() < deadline) Thread.sleep(2);
        assertThat(bed.sandbox.requestsReceived()).isEqualTo(n);
    }
}
