package dev.tollgate.planner.capacity;

import java.util.Locale;

/** What GPU hours are used for, which decides what a spot interruption costs. */
public enum WorkloadType {
    /** Training that checkpoints: an interruption loses the work since the last checkpoint, then restarts. */
    TRAINING,
    /** Batch inference: an interruption loses the items in flight, then restarts. */
    BATCH,
    /** Real-time serving: an interruption must be absorbed by spare replicas and on-demand fallback. */
    REALTIME;

    public static WorkloadType parse(String s) {
        return switch (s.strip().toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "training", "train" -> TRAINING;
            case "batch", "batch-inference" -> BATCH;
            case "realtime", "real-time", "serving", "real-time-serving" -> REALTIME;
            default -> throw new IllegalArgumentException("unknown workload type '" + s + "' (training, batch, realtime)");
        };
    }
}
