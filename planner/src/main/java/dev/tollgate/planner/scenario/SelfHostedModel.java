package dev.tollgate.planner.scenario;

import dev.tollgate.planner.gpu.Gpu;
import dev.tollgate.planner.gpu.ThroughputModel;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * A model a scenario serves on its own GPUs, priced by the GPU time its calls take: a replica of {@code gpus} GPUs
 * costs {@code gpuHourly} each around the clock and is busy {@code utilization} of its hours, so a call costs its
 * replica-seconds ÷ utilization at the replica's hourly price. {@code fixedMonthly} is what running it takes besides
 * the GPUs (people on call, upgrades, evaluation): counted once a month wherever the model serves, whatever its share.
 *
 * <p>Throughput is either given (measured: {@code decodeTokensPerSecond} of the whole replica at its batch, and
 * {@code prefillTokensPerSecond}) or, when {@code throughput} is not null, taken from the calibrated
 * {@link ThroughputModel} at {@code batch}. Prompt tokens read from the prompt cache (the serving engine's prefix
 * cache) are not prefilled again.
 *
 * @param throughput null when the throughput is given
 */
public record SelfHostedModel(String name, Gpu gpu, int gpus, BigDecimal gpuHourly, double utilization,
                              ThroughputModel throughput, int batch, double decodeTokensPerSecond,
                              double prefillTokensPerSecond, BigDecimal fixedMonthly) {

    private static final MathContext MC = new MathContext(12, RoundingMode.HALF_EVEN);
    private static final BigDecimal SECONDS_PER_HOUR = BigDecimal.valueOf(3600);

    public SelfHostedModel {
        if (gpus < 1) throw new IllegalArgumentException("self-hosted '" + name + "': gpus must be at least 1");
        if (utilization <= 0 || utilization > 1) throw new IllegalArgumentException("self-hosted '" + name + "': utilization must be in (0, 1]");
        fixedMonthly = fixedMonthly == null ? BigDecimal.ZERO : fixedMonthly;
        if (fixedMonthly.signum() < 0) throw new IllegalArgumentException("self-hosted '" + name + "': fixed_monthly cannot be negative");
        if (gpuHourly.signum() < 0) throw new IllegalArgumentException("self-hosted '" + name + "': hourly price cannot be negative");
        if (throughput == null && (decodeTokensPerSecond <= 0 || prefillTokensPerSecond <= 0)) {
            throw new IllegalArgumentException("self-hosted '" + name + "' needs a model shape, or both decode_tokens_per_second and prefill_tokens_per_second");
        }
        if (throughput != null && batch < 1) throw new IllegalArgumentException("self-hosted '" + name + "': batch must be at least 1");
    }

    /** Sustained decode tokens per second of one replica at a context (given, or from the throughput model). */
    public double decodeTokensPerSecond(double context) {
        return throughput == null ? decodeTokensPerSecond : throughput.decodeTokensPerSecond(batch, context);
    }

    public BigDecimal replicaHourly() {
        return gpuHourly.multiply(BigDecimal.valueOf(gpus));
    }

    /** Replica-seconds to prefill {@code tokens} prompt tokens. */
    public double prefillSeconds(long tokens) {
        return throughput == null ? tokens / prefillTokensPerSecond : throughput.prefillSeconds(tokens);
    }

    /** Replica-seconds to generate {@code output} tokens after a prompt of {@code input} (context averaged over the answer). */
    public double decodeSeconds(long input, long output) {
        if (throughput != null && throughput.maxBatch(input + output) < batch) {
            throw new IllegalArgumentException("self-hosted '" + name + "': a batch of " + batch + " calls of " + (input + output)
                    + " tokens does not fit in " + gpus + " x " + gpu.name() + " (room for " + throughput.maxBatch(input + output)
                    + "); give more gpus or a smaller batch");
        }
        return output / decodeTokensPerSecond(input + output / 2.0);
    }

    /** What {@code replicaSeconds} of busy time cost, paid hours included (÷ utilization). */
    public BigDecimal cost(double replicaSeconds) {
        return replicaHourly().multiply(new BigDecimal(replicaSeconds / utilization, MC)).divide(SECONDS_PER_HOUR, MC);
    }

    /** "llama-3-8b on 1 x l4 at $0.70/GPU-hour, 60% busy". */
    public String describe() {
        return (throughput == null ? "given throughput" : throughput.model().name()) + " on " + gpus + " x " + gpu.name()
                + " at " + dev.tollgate.planner.report.Money.usd(gpuHourly) + "/GPU-hour, "
                + BigDecimal.valueOf(utilization * 100).stripTrailingZeros().toPlainString() + "% busy";
    }
}
