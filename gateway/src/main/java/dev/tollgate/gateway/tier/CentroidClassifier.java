package dev.tollgate.gateway.tier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A nearest-centroid classifier over embeddings, as {@code tollgate route train} writes it and a tier's
 * {@code classifier:} reads it: per label (a tier), the normalised mean of its examples' unit embeddings; a text goes
 * to the label whose centroid has the highest cosine similarity with its embedding. Its confidence is the margin: that
 * similarity less the runner-up's (0 when two labels tie, up to 2), so a text that sits between two classes can be left
 * to the tier's default. Immutable and thread-safe; {@link #classify} allocates nothing but its result.
 *
 * <p>The file is JSON: {@code {"type": "nearest_centroid", "embeddings_model": M, "dimensions": D,
 * "labels": [...], "centroids": [[D numbers], ...]}}.
 */
public final class CentroidClassifier {

    public static final String TYPE = "nearest_centroid";

    /** A text's label and how far its nearest centroid is ahead of the runner-up (cosine similarity). */
    public record Prediction(int label, double similarity, double margin) {
    }

    private final String embeddingsModel;
    private final List<String> labels;
    private final float[][] centroids;

    public CentroidClassifier(String embeddingsModel, List<String> labels, float[][] centroids) {
        if (labels.isEmpty() || labels.size() != centroids.length) throw new IllegalArgumentException("one centroid per label, at least one");
        int d = centroids[0].length;
        for (float[] c : centroids) if (c.length != d || d == 0) throw new IllegalArgumentException("centroids of different lengths");
        this.embeddingsModel = embeddingsModel;
        this.labels = List.copyOf(labels);
        this.centroids = centroids;
    }

    /**
     * Trains on labelled embeddings: each label's centroid is the mean of its examples' unit vectors, made unit again.
     *
     * @param examples label → its examples' embeddings (all of one length); labels keep the map's order
     */
    public static CentroidClassifier train(String embeddingsModel, Map<String, List<float[]>> examples) {
        List<String> labels = new ArrayList<>();
        float[][] centroids = new float[examples.size()][];
        int i = 0;
        for (Map.Entry<String, List<float[]>> e : examples.entrySet()) {
            if (e.getValue().isEmpty()) continue;
            double[] sum = new double[e.getValue().getFirst().length];
            for (float[] v : e.getValue()) {
                if (v.length != sum.length) throw new IllegalArgumentException("embeddings of different lengths");
                double norm = norm(v);
                if (norm == 0) continue;
                for (int k = 0; k < sum.length; k++) sum[k] += v[k] / norm;
            }
            double norm = 0;
            for (double s : sum) norm += s * s;
            norm = Math.sqrt(norm);
            float[] c = new float[sum.length];
            for (int k = 0; k < c.length; k++) c[k] = norm == 0 ? 0 : (float) (sum[k] / norm);
            labels.add(e.getKey());
            centroids[i++] = c;
        }
        return new CentroidClassifier(embeddingsModel, labels, java.util.Arrays.copyOf(centroids, i));
    }

    public String embeddingsModel() { return embeddingsModel; }
    public List<String> labels() { return labels; }
    public int dimensions() { return centroids[0].length; }

    /** The nearest centroid to {@code embedding} by cosine similarity, and its margin over the runner-up. */
    public Prediction classify(float[] embedding) {
        if (embedding.length != centroids[0].length) {
            throw new IllegalArgumentException("an embedding of " + embedding.length + " dimensions; the classifier was trained on "
                    + centroids[0].length + " (embeddings model " + embeddingsModel + ")");
        }
        double norm = Math.sqrt(dot(embedding, embedding));
        int best = 0;
        double first = Double.NEGATIVE_INFINITY;
        double second = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < centroids.length; c++) {
            double similarity = norm == 0 ? 0 : dot(centroids[c], embedding) / norm;
            if (similarity > first) {
                second = first;
                first = similarity;
                best = c;
            } else if (similarity > second) {
                second = similarity;
            }
        }
        // one class only: nothing to be ahead of, so it is as sure as it can be
        return new Prediction(best, first, centroids.length == 1 ? 2 : first - second);
    }

    private static double norm(float[] v) {
        return Math.sqrt(dot(v, v));
    }

    /**
     * The dot product of two vectors of one length, in four running sums: one sum waits on each addition before the
     * next, four keep the CPU's adders busy (BENCHMARKS.md, "Tiers": the classifier).
     */
    static double dot(float[] a, float[] b) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int n = a.length, k = 0;
        for (; k + 3 < n; k += 4) {
            s0 += a[k] * b[k];
            s1 += a[k + 1] * b[k + 1];
            s2 += a[k + 2] * b[k + 2];
            s3 += a[k + 3] * b[k + 3];
        }
        for (; k < n; k++) s0 += a[k] * b[k];
        return (s0 + s1) + (s2 + s3);
    }

    /** Writes the classifier as JSON (see the class comment). */
    public void write(Path file) throws IOException {
        ObjectNode root = Json.object().put("type", TYPE).put("embeddings_model", embeddingsModel).put("dimensions", dimensions());
        ArrayNode names = root.putArray("labels");
        labels.forEach(names::add);
        ArrayNode all = root.putArray("centroids");
        for (float[] c : centroids) {
            ArrayNode row = all.addArray();
            for (float x : c) row.add(x);
        }
        Files.writeString(file, Json.MAPPER.writeValueAsString(root));
    }

    /** Reads a classifier file; a file that is not one is an {@link IllegalArgumentException} saying why. */
    public static CentroidClassifier read(Path file) throws IOException {
        JsonNode root = Json.parse(Files.readString(file));
        if (!TYPE.equals(root.path("type").asText())) {
            throw new IllegalArgumentException(file + " is not a classifier of type " + TYPE + " (tollgate route train writes one)");
        }
        String model = root.path("embeddings_model").asText(null);
        if (model == null || model.isBlank()) throw new IllegalArgumentException(file + " names no embeddings_model");
        List<String> labels = new ArrayList<>();
        root.path("labels").forEach(l -> labels.add(l.asText()));
        JsonNode rows = root.path("centroids");
        if (!rows.isArray() || rows.size() != labels.size() || labels.isEmpty()) {
            throw new IllegalArgumentException(file + " needs one centroid per label");
        }
        float[][] centroids = new float[rows.size()][];
        for (int i = 0; i < centroids.length; i++) {
            JsonNode row = rows.get(i);
            centroids[i] = new float[row.size()];
            for (int k = 0; k < row.size(); k++) centroids[i][k] = (float) row.get(k).asDouble();
        }
        try {
            return new CentroidClassifier(model, labels, centroids);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    /** Examples grouped by label, labels in order of first appearance (for {@link #train}). */
    public static Map<String, List<float[]>> byLabel(List<String> labels, List<float[]> embeddings) {
        Map<String, List<float[]>> out = new LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) out.computeIfAbsent(labels.get(i), l -> new ArrayList<>()).add(embeddings.get(i));
        return out;
    }
}
