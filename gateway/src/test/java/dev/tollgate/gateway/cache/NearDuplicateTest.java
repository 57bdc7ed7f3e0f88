package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The near-duplicate cache through the gateway, with the sandbox's lexical stand-in as the embeddings model, and its
 * hit and false-hit rates on the labelled question pairs the tests ship.
 */
class NearDuplicateTest {

    static final double THRESHOLD = 0.80;

    @TempDir
    static Path data;
    static CacheBed bed;

    @BeforeAll
    static void start() throws Exception {
        bed = new CacheBed(data, """
                cache:
                  enabled: true
                  near_duplicate: {enabled: true, embeddings_model: text-embedding-3-small, threshold: %s}
                  policies:
                    - {model: shared-model, similarity_threshold: 0.99}
                """.formatted(THRESHOLD), 0);
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    static String ask(String model, String system, String question, int maxTokens) {
        var body = Json.object().put("model", model).put("max_tokens", maxTokens);
        var messages = body.putArray("messages");
        if (system != null) messages.addObject().put("role", "system").put("content", system);
        messages.addObject().put("role", "user").put("content", question);
        return body.toString();
    }

    static String cache(HttpResponse<String> r) {
        return r.headers().firstValue("x-tollgate-cache").orElse("none");
    }

    @Test
    void aQuestionInOtherWordsGetsTheStoredAnswer() throws Exception {
        HttpResponse<String> first = bed.post("/v1/chat/completions", ask("gpt-4o-mini", "Be brief.", "How do I reset my password?", 20));
        HttpResponse<String> reworded = bed.post("/v1/chat/completions", ask("gpt-4o-mini", "Be brief.", "how can I reset my password", 20));
        assertThat(cache(first)).isEqualTo("miss");
        assertThat(cache(reworded)).isEqualTo("hit");
        assertThat(Double.parseDouble(reworded.headers().firstValue("x-tollgate-cache-similarity").orElseThrow())).isGreaterThanOrEqualTo(THRESHOLD);
        assertThat(reworded.body()).isEqualTo(first.body());
        assertThat(reworded.headers().firstValue("x-tollgate-cost-usd")).hasValue("0");

        // another question, or the same one in another context (system prompt), is a miss
        assertThat(cache(bed.post("/v1/chat/completions", ask("gpt-4o-mini", "Be brief.", "What is your refund policy?", 20)))).isEqualTo("miss");
        assertThat(cache(bed.post("/v1/chat/completions", ask("gpt-4o-mini", "Be verbose.", "how can I reset my password", 20)))).isEqualTo("miss");
        // a scope with a stricter threshold: the reworded question is not close enough there
        assertThat(cache(bed.post("/v1/chat/completions", ask("shared-model", null, "How do I reset my password?", 20)))).isEqualTo("miss");
        assertThat(cache(bed.post("/v1/chat/completions", ask("shared-model", null, "how can I reset my password", 20)))).isEqualTo("miss");

        // the embeddings calls went through the gateway: metered, priced, attributed to the caller
        JsonNode rows = bed.admin("/admin/requests?limit=200").path("requests");
        long embeddings = 0;
        for (JsonNode r : rows) {
            if (r.path("api").asText().equals("openai.embeddings")) {
                embeddings++;
                assertThat(r.path("key").asText()).isEqualTo("search-prod");
                // a question embedded before is itself an exact cache hit
                assertThat(r.path("cache").isNull() ? r.path("cost_usd").decimalValue() : r.path("saved_usd").decimalValue()).isPositive();
            }
        }
        assertThat(embeddings).isGreaterThanOrEqualTo(6);
        JsonNode near = ResponseCacheTest.row(rows, reworded.headers().firstValue("x-tollgate-request-id").orElseThrow());
        assertThat(near.path("cache").asText()).isEqualTo("near_hit");
        assertThat(near.path("saved_usd").decimalValue()).isPositive();
    }

    /**
     * Every labelled pair in its own context (max_tokens differs): the first question is answered and stored, the
     * second is asked. The pairs the gateway serves from the cache must be exactly those whose embeddings' cosine
     * similarity, computed here from the vectors, reaches the threshold; the rates are printed for the README.
     */
    @Test
    void labelledPairsHitExactlyWhereTheirSimilarityReachesTheThreshold() throws Exception {
        QuestionPairs set = QuestionPairs.load();
        assertThat(set.pairs()).hasSizeGreaterThanOrEqualTo(100);
        double[] cosines = new double[set.pairs().size()];
        int hits = 0, falseHits = 0, expectedHits = 0, expectedFalseHits = 0;
        for (int i = 0; i < cosines.length; i++) {
            QuestionPairs.Pair p = set.pairs().get(i);
            String both = Json.object().put("model", "text-embedding-3-small")
                    .set("input", Json.array().add(p.a()).add(p.b())).toString();
            JsonNode vectors = Json.parse(Buffer.buffer(bed.post("/v1/embeddings", both).body())).path("data");
            cosines[i] = cosine(vectors.get(0).path("embedding"), vectors.get(1).path("embedding"));
            boolean similar = cosines[i] >= THRESHOLD;

            assertThat(cache(bed.post("/v1/chat/completions", ask("gpt-4o-mini", "Support bot.", p.a(), 1000 + i)))).isEqualTo("miss");
            boolean hit = cache(bed.post("/v1/chat/completions", ask("gpt-4o-mini", "Support bot.", p.b(), 1000 + i))).equals("hit");
            assertThat(hit).as("pair %d (cosine %.3f): %s / %s", i, cosines[i], p.a(), p.b()).isEqualTo(similar);
            if (p.duplicate()) {
                if (hit) hits++;
                if (similar) expectedHits++;
            } else {
                if (hit) falseHits++;
                if (similar) expectedFalseHits++;
            }
        }
        assertThat(hits).isEqualTo(expectedHits);
        assertThat(falseHits).isEqualTo(expectedFalseHits);

        long duplicates = set.duplicates(), different = set.pairs().size() - duplicates;
        StringBuilder table = new StringBuilder("| threshold | hit rate (duplicates served) | false-hit rate (different questions served) |\n|---:|---:|---:|\n");
        for (int t = 60; t <= 95; t += 5) {
            long h = 0, f = 0;
            for (int i = 0; i < cosines.length; i++) {
                if (cosines[i] < t / 100.0) continue;
                if (set.pairs().get(i).duplicate()) h++; else f++;
            }
            table.append("| %.2f | %d/%d = %.0f%% | %d/%d = %.0f%% |%n".formatted(t / 100.0, h, duplicates, 100.0 * h / duplicates,
                    f, different, 100.0 * f / different));
        }
        System.out.println("near-duplicate rates on " + set.pairs().size() + " labelled pairs; through the gateway at "
                + THRESHOLD + ": " + hits + "/" + duplicates + " hits, " + falseHits + "/" + different + " false hits\n" + table);
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
