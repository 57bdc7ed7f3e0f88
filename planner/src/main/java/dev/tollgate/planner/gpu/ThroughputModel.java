package dev.tollgate.planner.gpu;

/**
 * How fast one replica of a model serves on {@code gpus} GPUs of one kind (tensor parallel, memory, bandwidth and
 * FLOP/s adding up).
 *
 * <ul>
 *   <li><b>Decode</b> is memory-bandwidth bound: each step reads every streamed weight once and the KV cache of every
 *       sequence in the batch, and the part of the step's matmuls that does not overlap with those reads adds on:
 *       {@code step = W/(B·e_w) + batch·context·kv/(B·e_kv) + e_c·batch·F/P}, with W the weight bytes, B the HBM
 *       bandwidth, kv the KV bytes per token, F the FLOPs per token and P the peak FLOP/s.</li>
 *   <li><b>Prefill</b> is compute bound: {@code tokens·F/(P·e_p)}.</li>
 *   <li><b>Batch</b> is limited by memory: 90% of it (the usual serving-engine setting) holds the weights and the
 *       KV cache of every sequence in flight.</li>
 * </ul>
 */
public record ThroughputModel(Gpu gpu, int gpus, ModelShape model, Precision precision, Efficiency efficiency) {

    /** Share of GPU memory a serving engine gives to weights and KV cache. */
    public static final double USABLE_MEMORY = 0.9;

    public ThroughputModel {
        if (gpus < 1) throw new IllegalArgumentException("a replica needs at least one GPU");
    }

    /** The smallest replica (in GPUs) whose memory holds the weights and a batch of one at {@code context}. */
    public static int minimumGpus(Gpu gpu, ModelShape model, Precision precision, long context) {
        double need = model.parameters() * precision.bytesPerParameter + context * model.kvBytesPerToken();
        int n = (int) Math.ceil(need / (gpu.memoryGb() * 1e9 * USABLE_MEMORY));
        return Math.max(1, n);
    }

    /**
     * A sensible replica size: the fewest GPUs among 1, 2, 4, 8 (tensor parallel sizes) whose memory leaves room
     * for a batch of {@code targetBatch} at {@code context}; 8 when none does, or the minimum that holds the model.
     */
    public static int replicaGpus(Gpu gpu, ModelShape model, Precision precision, Efficiency e, long context, int targetBatch) {
        int min = minimumGpus(gpu, model, precision, context);
        for (int n : new int[] {1, 2, 4, 8}) {
            if (n >= min && new ThroughputModel(gpu, n, model, precision, e).maxBatch(context) >= targetBatch) return n;
        }
        return Math.max(8, min);
    }

    public double weightBytes() {
        return model.parameters() * precision.bytesPerParameter;
    }

    double streamedWeightBytes() {
        return model.streamedParameters() * precision.bytesPerParameter;
    }

    double bandwidth() {
        return gpu.bandwidthTbPerS() * 1e12 * gpus;
    }

    double peakFlops() {
        return gpu.bf16Tflops() * 1e12 * precision.flopsMultiplier * gpus;
    }

    /** Seconds of one decode step of {@code batch} sequences that each attend over {@code context} tokens. */
    public double decodeStepSeconds(int batch, double context) {
        return streamedWeightBytes() / (bandwidth() * efficiency.weightBandwidth())
                + batch * context * model.kvBytesPerToken() / (bandwidth() * efficiency.kvBandwidth())
                + efficiency.exposedCompute() * batch * model.flopsPerToken() / peakFlops();
    }

    public double decodeTokensPerSecond(int batch, double context) {
        return batch / decodeStepSeconds(batch, context);
    }

    /** Seconds to prefill {@code tokens} prompt tokens. */
    public double prefillSeconds(double tokens) {
        return tokens * model.flopsPerToken() / (peakFlops() * efficiency.prefillFlops());
    }

    /** The largest batch whose KV cache fits next to the weights when every sequence holds {@code context} tokens. */
    public int maxBatch(double context) {
        double free = gpu.memoryGb() * 1e9 * gpus * USABLE_MEMORY - weightBytes();
        if (free <= 0) return 0;
        return (int) Math.floor(free / (context * model.kvBytesPerToken()));
    }

    /**
     * Replica-seconds a batch of traffic keeps a replica busy: {@code requests} requests with these token totals,
     * decoded at {@code batch} (each request's context taken as the mean prompt plus half the mean answer).
     */
    public double busySeconds(long requests, long inputTokens, long outputTokens, int batch) {
        if (requests == 0) return 0;
        double context = (double) inputTokens / requests + outputTokens / 2.0 / requests;
        return prefillSeconds(inputTokens) + outputTokens * decodeStepSeconds(batch, context) / batch;
    }

    /**
     * Replica-seconds one request of {@code input} prompt and {@code output} generated tokens occupies when it
     * decodes in a batch of {@code batch}: its prefill, plus its share of the decode steps (context averaged over
     * the generation).
     */
    public double secondsPerRequest(long input, long output, int batch) {
        double context = input + output / 2.0;
        return prefillSeconds(input) + output * decodeStepSeconds(batch, context) / batch;
    }
}
