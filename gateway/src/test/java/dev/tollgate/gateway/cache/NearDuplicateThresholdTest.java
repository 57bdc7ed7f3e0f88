package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The labelled question pairs embedded by the gateway's embeddings model (the sandbox's lexical stand-in), and for
 * each threshold the hit rate (duplicate pairs at or above it) and false-hit rate (different questions at or above
 * it). The table it prints is the one in the README.
 */
class NearDuplicateThresholdTest {

    @TempDir
    Path data;

    @Test
    void hitAndFalseHitRatesPerThreshold() throws Exception {
        QuestionPairs set = QuestionPairs.load();
        assertThat(set.pairs()).hasSizeGreaterThanOrEqualTo(100);
        double[] cosines = new double[set.pairs().size()];
        try (CacheBed bed = new CacheBed(data, "", 0)) {
            for (int i = 0; i < cosines.length; i++) {
                QuestionPairs.Pair p = set.pairs().get(i);
                String body = Json.object().put("model", "text-embedding-3-small").put("dimensions", 512)
                        .set("input", Json.array().add(p.a()).add(p.b())).toString();
                HttpResponse<String> r = bed.post("/v1/embeddings", body);
                assertThat(r.statusCode()).isEqualTo(200);
                JsonNode data = Json.parse(Buffer.buffer(r.body())).path("data");
                cosines[i] = cosine(data.get(0).path("embedding"), data.get(1).path("embedding"));
            }
        }
        StringBuilder table = new StringBuilder("| threshold | hit rate | false-hit rate |\n|---:|---:|---:|\n");
        long duplicates = set.duplicates(), different = set.pairs().size() - duplicates;
        for (int t = 60; t <= 95; t += 5) {
            double threshold = t / 100.0;
            long hits = 0, falseHits = 0;
            for (int i = 0; i < cosines.length; i++) {
                if (cosines[i] < threshold) continue;
                if (set.pairs().get(i).duplicate()) hits++; else falseHits++;
            }
            table.append("| %.2f | %d/%d = %.0f%% | %d/%d = %.0f%% |%n".formatted(threshold, hits, duplicates,
                    100.0 * hits / duplicates, falseHits, different, 100.0 * falseHits / different));
        }
        System.out.println(table);
    }

    static double cosine(JsonNode a, JsonNode b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.size(); i++) {
            double x = a.get(i).asDouble(), y = b.get(i).asDouble();
            dot += x * y;
            na += x * x;
            nb += y * y;
        }
        return dot / Math.sqrt(na * nb);
    }
}
