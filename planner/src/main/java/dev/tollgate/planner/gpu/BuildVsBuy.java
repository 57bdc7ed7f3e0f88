package dev.tollgate.planner.gpu;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * What serving a workload on your own GPUs costs, against paying an API per token.
 *
 * <p>A replica costs its GPUs' hourly price around the clock; of its hours, {@code utilization} serve traffic at
 * batch {@code batch}. Self-hosting also carries {@code fixedMonthly}: the people and operations it takes (on call,
 * upgrades, evaluation), which an API does not. Throughput comes from the {@link ThroughputModel} (doubles); every
 * amount of money is a BigDecimal.
 *
 * @param gpuHourly     price of one GPU hour (on-demand, spot or reserved)
 * @param utilization   share of paid hours that serve traffic, in (0, 1]
 * @param hoursPerMonth hours in a month: 730 (365/12 days) by default, 720 for a 30-day month
 */
public record BuildVsBuy(ThroughputModel replica, BigDecimal gpuHourly, int batch, double utilization,
                         long inputTokens, long outputTokens, BigDecimal fixedMonthly, BigDecimal hoursPerMonth) {

    /** Hours in an average month (8760 / 12). */
    public static final BigDecimal HOURS_PER_MONTH = new BigDecimal("730");
    private static final MathContext MC = new MathContext(12, RoundingMode.HALF_EVEN);

    public BuildVsBuy {
        if (utilization <= 0 || utilization > 1) throw new IllegalArgumentException("utilization must be in (0, 1]");
        if (batch < 1) throw new IllegalArgumentException("batch must be at least 1");
        if (hoursPerMonth.signum() <= 0) throw new IllegalArgumentException("a month must have hours");
    }

    /** A month of 365/12 days (730 hours). */
    public BuildVsBuy(ThroughputModel replica, BigDecimal gpuHourly, int batch, double utilization, long inputTokens,
                      long outputTokens, BigDecimal fixedMonthly) {
        this(replica, gpuHourly, batch, utilization, inputTokens, outputTokens, fixedMonthly, HOURS_PER_MONTH);
    }

    /** Hours in a month of {@code days} days. */
    public static BigDecimal hoursIn(BigDecimal days) {
        return days.multiply(BigDecimal.valueOf(24));
    }

    public BigDecimal replicaHourly() {
        return gpuHourly.multiply(BigDecimal.valueOf(replica.gpus()));
    }

    public BigDecimal replicaMonthly() {
        return replicaHourly().multiply(hoursPerMonth);
    }

    public double secondsPerRequest(int atBatch) {
        return replica.secondsPerRequest(inputTokens, outputTokens, atBatch);
    }

    /** GPU cost of one request at a batch and utilization (fixed costs excluded). */
    public BigDecimal costPerRequest(int atBatch, double atUtilization) {
        double replicaHours = secondsPerRequest(atBatch) / 3600 / atUtilization;
        return replicaHourly().multiply(new BigDecimal(replicaHours, MC));
    }

    /** GPU cost of one request of its own size, at this setup's batch and utilization (what-if replay). */
    public BigDecimal costOf(long input, long output) {
        double replicaHours = replica.secondsPerRequest(input, output, batch) / 3600 / utilization;
        return replicaHourly().multiply(new BigDecimal(replicaHours, MC));
    }

    /** GPU cost per million tokens (input and output together) at a batch and utilization. */
    public BigDecimal costPerMillionTokens(int atBatch, double atUtilization) {
        return costPerRequest(atBatch, atUtilization).multiply(BigDecimal.valueOf(1_000_000))
                .divide(BigDecimal.valueOf(inputTokens + outputTokens), MC);
    }

    /** Requests a month one replica serves at this setup's batch and utilization. */
    public BigDecimal requestsPerReplicaMonth() {
        double perSecond = utilization / secondsPerRequest(batch);
        return new BigDecimal(perSecond, MC).multiply(hoursPerMonth).multiply(BigDecimal.valueOf(3600));
    }

    /** Replicas needed for a volume (at least one: a deployment that exists runs all month). */
    public long replicasFor(BigDecimal requestsPerMonth) {
        BigDecimal n = requestsPerMonth.divide(requestsPerReplicaMonth(), 0, RoundingMode.CEILING);
        return Math.max(1, n.longValueExact());
    }

    /** Monthly cost of self-hosting a volume: whole replicas plus the fixed people and operations cost. */
    public BigDecimal selfHostedMonthly(BigDecimal requestsPerMonth) {
        return fixedMonthly.add(replicaMonthly().multiply(BigDecimal.valueOf(replicasFor(requestsPerMonth))));
    }

    /**
     * The smallest monthly request volume from which self-hosting costs less than an API charging
     * {@code apiPerRequest}; null when it never does (the API is cheaper per request than a replica at this setup's
     * utilization). Self-hosting cost is a staircase (one more replica every {@link #requestsPerReplicaMonth()}
     * requests); the step where the API line first rises above it is found in closed form.
     */
    public BigDecimal crossoverRequestsPerMonth(BigDecimal apiPerRequest) {
        if (apiPerRequest.signum() <= 0) return null;
        BigDecimal capacity = requestsPerReplicaMonth();
        BigDecimal replica = replicaMonthly();
        // each replica earns the API's price on its capacity; what it earns beyond its own cost pays the fixed cost
        BigDecimal marginPerReplica = apiPerRequest.multiply(capacity).subtract(replica);
        if (marginPerReplica.signum() <= 0) return null;
        // the first staircase step n whose full capacity pays for itself: fixed + n*replica <= api * n * capacity
        long n = Math.max(1, fixedMonthly.divide(marginPerReplica, 0, RoundingMode.CEILING).longValueExact());
        BigDecimal breakEven = fixedMonthly.add(replica.multiply(BigDecimal.valueOf(n))).divide(apiPerRequest, MC);
        // below step n's range the API was cheaper (step n-1 never paid off), so the crossing is in step n
        return breakEven.max(capacity.multiply(BigDecimal.valueOf(n - 1)));
    }
}
