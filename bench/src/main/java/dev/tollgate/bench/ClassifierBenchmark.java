package dev.tollgate.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.cache.Question;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.route.Router;
import dev.tollgate.gateway.tier.CentroidClassifier;
import dev.tollgate.gateway.tier.Tiers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What a tier classifier adds to a request on the gateway's own CPU (issue 13): taking the question's text out of the
 * body and picking the nearest of three tier centroids for its embedding ({@code dimensions}: text-embedding-3-small's
 * 1536 or -large's 3072). The embedding itself is a metered call to the embeddings model, a network round trip not
 * measured here. Centroids and the embedding are random unit vectors: the arithmetic does not depend on their values.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class ClassifierBenchmark {

    @Param({"1536", "3072"})
    public int dimensions;

    private Tiers.Tiered tiered;
    private ObjectNode body;
    private float[] embedding;

    @Setup
    public void setup() throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        float[][] centroids = new float[3][];
        for (int i = 0; i < 3; i++) centroids[i] = unit(random, dimensions);
        embedding = unit(random, dimensions);
        Path file = Files.createTempFile("classifier", ".json");
        file.toFile().deleteOnExit();
        new CentroidClassifier("text-embedding-3-small", List.of("small", "mid", "flagship"), centroids).write(file);
        Router router = new Router(new ConfigLoader(Map.<String, String>of()::get).parse("""
                providers:
                  openai: {type: openai}
                models:
                  - {name: gpt-4.1-nano, provider: openai}
                  - {name: gpt-4o-mini, provider: openai}
                  - {name: gpt-4o, provider: openai}
                tiers:
                  - name: support-assistant
                    ladder: [{name: small, model: gpt-4.1-nano}, {name: mid, model: gpt-4o-mini}, {name: flagship, model: gpt-4o}]
                    default: mid
                    classifier: {file: "%s", min_confidence: 0.05}
                """.formatted(file.toString().replace("\\", "/"))));
        tiered = router.tiers().get("support-assistant");
        body = (ObjectNode) Json.parse("{\"model\":\"support-assistant\",\"messages\":[{\"role\":\"system\",\"content\":\"You answer customers of a shop.\"},"
                + "{\"role\":\"user\",\"content\":\"My parcel was due last Tuesday. Can I get the shipping fee back?\"}]}");
    }

    private static float[] unit(SplittableRandom random, int d) {
        float[] v = new float[d];
        double norm = 0;
        for (int i = 0; i < d; i++) {
            v[i] = (float) random.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < d; i++) v[i] /= (float) Math.sqrt(norm);
        return v;
    }

    /** The question's text, then the nearest centroid and its margin: the classifier's per-request CPU work. */
    @Benchmark
    public Object classify() {
        String text = Question.textOf(Api.OPENAI_CHAT, body);
        return text == null ? null : tiered.classified(embedding);
    }
}
