package dev.tollgate.gateway.cache;

import io.github.jbellis.jvector.graph.GraphIndexBuilder;
import io.github.jbellis.jvector.graph.GraphSearcher;
import io.github.jbellis.jvector.graph.ListRandomAccessVectorValues;
import io.github.jbellis.jvector.graph.SearchResult;
import io.github.jbellis.jvector.graph.similarity.BuildScoreProvider;
import io.github.jbellis.jvector.util.Bits;
import io.github.jbellis.jvector.vector.VectorSimilarityFunction;
import io.github.jbellis.jvector.vector.VectorizationProvider;
import io.github.jbellis.jvector.vector.types.VectorFloat;
import io.github.jbellis.jvector.vector.types.VectorTypeSupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The questions asked in one context (the same deployment, parameters and conversation up to the last question):
 * their embeddings in a JVector graph index and, for each, the exact cache key of its answer. Small and guarded by
 * its monitor; once {@code capacity} questions are in, new ones are not added.
 */
final class QuestionIndex {

    private static final VectorTypeSupport VECTORS = VectorizationProvider.getInstance().getVectorTypeSupport();

    /** The nearest question found: its answer's exact key and the cosine similarity to the one asked. */
    record Match(String key, double similarity) {
    }

    private final int dimension;
    private final int capacity;
    private final List<VectorFloat<?>> vectors = new ArrayList<>();
    private final List<String> keys = new ArrayList<>();
    private final ListRandomAccessVectorValues values;
    private final GraphIndexBuilder builder;

    QuestionIndex(int dimension, int capacity) {
        this.dimension = dimension;
        this.capacity = capacity;
        this.values = new ListRandomAccessVectorValues(vectors, dimension);
        BuildScoreProvider scores = BuildScoreProvider.randomAccessScoreProvider(values, VectorSimilarityFunction.COSINE);
        // degree 16, beam 100, overflow 1.2, alpha 1.2, no hierarchy: JVector's defaults for a small in-memory graph
        this.builder = new GraphIndexBuilder(scores, dimension, 16, 100, 1.2f, 1.2f, false);
    }

    synchronized void add(float[] vector, String key) {
        if (vector.length != dimension || vectors.size() >= capacity || keys.contains(key)) return;
        VectorFloat<?> v = VECTORS.createFloatVector(vector);
        int ordinal = vectors.size();
        vectors.add(v);
        keys.add(key);
        builder.addGraphNode(ordinal, v);
    }

    /** The most similar question, or null when the index is empty or the vector has another dimension. */
    synchronized Match nearest(float[] vector) {
        if (vectors.isEmpty() || vector.length != dimension) return null;
        SearchResult result = GraphSearcher.search(VECTORS.createFloatVector(vector), 1, values,
                VectorSimilarityFunction.COSINE, builder.getGraph(), Bits.ALL);
        if (result.getNodes().length == 0) return null;
        SearchResult.NodeScore best = result.getNodes()[0];
        // JVector scores cosine as (1 + cos) / 2
        return new Match(keys.get(best.node), 2.0 * best.score - 1.0);
    }

    synchronized int size() {
        return vectors.size();
    }

    void close() {
        try {
            builder.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
