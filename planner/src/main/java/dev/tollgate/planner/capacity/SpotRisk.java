package dev.tollgate.planner.capacity;

/**
 * What spot interruptions cost, as extra GPU-hours per useful GPU-hour.
 *
 * @param interruptionsPerHour  expected preemptions per GPU-hour (0.05 = one every 20 hours)
 * @param restartHours          time to get a replacement running (scheduling, image pull, warm-up)
 * @param checkpointEveryHours  training checkpoint interval: half of it is lost on average
 * @param batchItemHours        length of a batch-inference work item: half of it is lost on average
 * @param realtimeHeadroom      spare spot replicas real-time serving keeps to ride out preemptions (0.5 = 50%: reclaims
 *                              come in waves, a whole capacity pool at once, so the spare must sit in other pools)
 */
public record SpotRisk(double interruptionsPerHour, double restartHours, double checkpointEveryHours,
                       double batchItemHours, double realtimeHeadroom) {

    public static final SpotRisk DEFAULT = new SpotRisk(0.05, 0.25, 1.0, 0.1, 0.5);

    /** Spot GPU-hours paid per useful GPU-hour, beyond the one (lost work and restarts). */
    public double overhead(WorkloadType type) {
        return switch (type) {
            case TRAINING -> interruptionsPerHour * (checkpointEveryHours / 2 + restartHours);
            case BATCH -> interruptionsPerHour * (batchItemHours / 2 + restartHours);
            case REALTIME -> realtimeHeadroom;
        };
    }

    /** On-demand fallback GPU-hours per useful GPU-hour: real-time traffic is served on demand while a replacement starts. */
    public double onDemandFallback(WorkloadType type) {
        return type == WorkloadType.REALTIME ? interruptionsPerHour * restartHours : 0;
    }
}
