package dev.tollgate.planner.gpu;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The shape of a decoder-only transformer, what a throughput model needs of it.
 *
 * @param parameters every parameter, embeddings included
 * @param kvHeads    key/value heads (grouped-query attention shares them between query heads)
 */
public record ModelShape(String name, double parameters, int layers, int hidden, int kvHeads, int headDim, int vocab) {

    public static final List<ModelShape> BUILT_IN = List.of(
            new ModelShape("llama-3-8b", 8.03e9, 32, 4096, 8, 128, 128256),
            new ModelShape("llama-3-70b", 70.55e9, 80, 8192, 8, 128, 128256),
            new ModelShape("llama-3.1-405b", 405.85e9, 126, 16384, 8, 128, 128256),
            new ModelShape("mistral-7b", 7.24e9, 32, 4096, 8, 128, 32000),
            new ModelShape("qwen2.5-32b", 32.76e9, 64, 5120, 8, 128, 152064));

    public static Optional<ModelShape> named(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return BUILT_IN.stream().filter(m -> m.name().equals(n)).findFirst();
    }

    /**
     * Parameters read from memory at every decode step: all but the input embedding table, of which a step reads
     * only the rows of its tokens.
     */
    public double streamedParameters() {
        return parameters - (double) vocab * hidden;
    }

    /** Matmul FLOPs per token, forward pass: two per streamed parameter. */
    public double flopsPerToken() {
        return 2 * streamedParameters();
    }

    /** Bytes of KV cache per token of context: keys and values, every layer, in bf16. */
    public double kvBytesPerToken() {
        return 2.0 * layers * kvHeads * headDim * 2;
    }
}
