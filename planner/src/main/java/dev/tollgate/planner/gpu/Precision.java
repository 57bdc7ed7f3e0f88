package dev.tollgate.planner.gpu;

/**
 * How weights are stored. fp8 doubles tensor throughput on GPUs that have fp8 units (H100, H200, L40S); int4 weights
 * are de-quantized to bf16 for the matmuls, so they save memory and bandwidth but not compute. The KV cache stays in
 * bf16 in every case.
 */
public enum Precision {
    BF16(2.0, 1.0), FP8(1.0, 2.0), INT4(0.5, 1.0);

    public final double bytesPerParameter;
    public final double flopsMultiplier;

    Precision(double bytesPerParameter, double flopsMultiplier) {
        this.bytesPerParameter = bytesPerParameter;
        this.flopsMultiplier = flopsMultiplier;
    }
}
