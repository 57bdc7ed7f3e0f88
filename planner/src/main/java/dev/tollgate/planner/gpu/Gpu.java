package dev.tollgate.planner.gpu;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One accelerator: memory, memory bandwidth, dense bf16 tensor throughput, and what an hour of it costs on demand,
 * on spot and reserved (one-year commitment).
 *
 * <p>The built-in hourly prices are illustrative levels of 2025 cloud offerings (specialist GPU clouds, per GPU in
 * an 8-GPU node), not a quote: pass your own with {@code --hourly}.
 */
public record Gpu(String name, double memoryGb, double bandwidthTbPerS, double bf16Tflops,
                  BigDecimal onDemandHourly, BigDecimal spotHourly, BigDecimal reservedHourly) {

    public static final List<Gpu> BUILT_IN = List.of(
            new Gpu("h100", 80, 3.35, 989, new BigDecimal("2.99"), new BigDecimal("1.65"), new BigDecimal("2.10")),
            new Gpu("h200", 141, 4.8, 989, new BigDecimal("3.79"), new BigDecimal("2.20"), new BigDecimal("2.70")),
            new Gpu("a100", 80, 2.039, 312, new BigDecimal("1.79"), new BigDecimal("0.95"), new BigDecimal("1.29")),
            new Gpu("l40s", 48, 0.864, 362, new BigDecimal("0.99"), new BigDecimal("0.55"), new BigDecimal("0.72")),
            new Gpu("l4", 24, 0.3, 121, new BigDecimal("0.70"), new BigDecimal("0.40"), new BigDecimal("0.50")));

    /** Names of the built-in GPUs, for messages: "h100, h200, a100, l40s, l4". */
    public static String builtInNames() {
        return String.join(", ", BUILT_IN.stream().map(Gpu::name).toList());
    }

    /**
     * A GPU that is not built in: its memory, bandwidth and dense bf16 throughput, and one hourly price (used for
     * every pricing option, since only you know your spot and reserved prices).
     */
    public static Gpu custom(String name, double memoryGb, double bandwidthTbPerS, double bf16Tflops, BigDecimal hourly) {
        if (memoryGb <= 0 || bandwidthTbPerS <= 0 || bf16Tflops <= 0) {
            throw new IllegalArgumentException("GPU '" + name + "': memory, bandwidth and TFLOP/s must be above 0");
        }
        if (hourly == null || hourly.signum() < 0) throw new IllegalArgumentException("GPU '" + name + "' needs an hourly price of at least 0");
        return new Gpu(name.toLowerCase(Locale.ROOT), memoryGb, bandwidthTbPerS, bf16Tflops, hourly, hourly, hourly);
    }

    public static Optional<Gpu> named(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return BUILT_IN.stream().filter(g -> g.name().equals(n)).findFirst();
    }

    /** The hourly price of one GPU under a pricing option. */
    public BigDecimal hourly(Pricing pricing) {
        return switch (pricing) {
            case ON_DEMAND -> onDemandHourly;
            case SPOT -> spotHourly;
            case RESERVED -> reservedHourly;
        };
    }

    public Gpu withHourly(BigDecimal onDemand) {
        return new Gpu(name, memoryGb, bandwidthTbPerS, bf16Tflops, onDemand, spotHourly, reservedHourly);
    }

    /** How GPU hours are bought. */
    public enum Pricing { ON_DEMAND, SPOT, RESERVED }
}
