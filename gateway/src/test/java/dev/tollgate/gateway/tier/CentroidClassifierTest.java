package dev.tollgate.gateway.tier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The nearest-centroid arithmetic, on vectors whose angles are known: centroids and margins worked out by geometry. */
class CentroidClassifierTest {

    @TempDir
    Path dir;

    /** Tier a: the directions 0° and 45° (lengths differ: only direction counts), so its centroid points at 22.5°; tier b: 90°. */
    static CentroidClassifier twoTiers() {
        Map<String, List<float[]>> examples = new LinkedHashMap<>();
        examples.put("a", List.of(new float[] {3, 0}, new float[] {0.5f, 0.5f}));
        examples.put("b", List.of(new float[] {0, 2}));
        return CentroidClassifier.train("m", examples);
    }

    @Test
    void theNearestCentroidByAngleWinsByTheCosineMargin() {
        CentroidClassifier c = twoTiers();
        // a text at 45°: 22.5° from a's centroid, 45° from b's
        CentroidClassifier.Prediction p = c.classify(new float[] {7, 7});
        assertThat(c.labels().get(p.label())).isEqualTo("a");
        assertThat(p.similarity()).isCloseTo(Math.cos(Math.toRadians(22.5)), within(1e-6));
        assertThat(p.margin()).isCloseTo(Math.cos(Math.toRadians(22.5)) - Math.cos(Math.toRadians(45)), within(1e-6));
        // at 80°: 10° from b, 57.5° from a
        CentroidClassifier.Prediction q = c.classify(new float[] {(float) Math.cos(Math.toRadians(80)), (float) Math.sin(Math.toRadians(80))});
        assertThat(c.labels().get(q.label())).isEqualTo("b");
        assertThat(q.margin()).isCloseTo(Math.cos(Math.toRadians(10)) - Math.cos(Math.toRadians(57.5)), within(1e-6));
    }

    @Test
    void theFileKeepsWhatWasTrained() throws Exception {
        Path file = dir.resolve("c.json");
        twoTiers().write(file);
        CentroidClassifier read = CentroidClassifier.read(file);
        assertThat(read.labels()).containsExactly("a", "b");
        assertThat(read.embeddingsModel()).isEqualTo("m");
        assertThat(read.classify(new float[] {7, 7}).margin())
                .isCloseTo(Math.cos(Math.toRadians(22.5)) - Math.cos(Math.toRadians(45)), within(1e-6));
    }

    @Test
    void anEmbeddingOfAnotherModelIsRefused() {
        assertThatThrownBy(() -> twoTiers().classify(new float[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 dimensions").hasMessageContaining("trained on 2");
    }

    @Test
    void theDotProductCoversEveryDimensionWhateverTheLength() {
        for (int n = 1; n <= 9; n++) {
            float[] a = new float[n], b = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = i + 1;
                b[i] = 2;
            }
            assertThat(CentroidClassifier.dot(a, b)).as("n=%d", n).isEqualTo((double) n * (n + 1)); // 2 × (1 + … + n)
        }
    }
}
