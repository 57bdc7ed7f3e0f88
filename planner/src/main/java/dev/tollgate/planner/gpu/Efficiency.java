package dev.tollgate.planner.gpu;

/**
 * The factors that turn a GPU's peak figures into measured step times (see {@link ThroughputModel} for where each
 * one enters).
 *
 * @param weightBandwidth share of peak HBM bandwidth achieved while streaming the weights in a decode step
 * @param kvBandwidth     share of peak HBM bandwidth achieved while reading the KV cache in attention
 * @param exposedCompute  share of a decode step's matmul time (at peak FLOP/s) not hidden under memory traffic
 * @param prefillFlops    model FLOP utilization of prefill (share of peak dense FLOP/s)
 */
public record Efficiency(double weightBandwidth, double kvBandwidth, double exposedCompute, double prefillFlops) {

    /**
     * Fitted by {@link Calibration} to {@code h100-llama3-8b-bf16.csv} (13 decode and 4 prefill measurements of a
     * Llama-3-8B-shaped model on one H100); every prediction is within 3% of its measurement. Documented in the
     * README; {@code CalibrationTest} checks that fitting the file again gives these values.
     */
    public static final Efficiency H100_CALIBRATED = new Efficiency(0.671, 0.938, 0.584, 0.598);
}
