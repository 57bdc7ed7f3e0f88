package dev.tollgate.planner.capacity;

import java.math.BigDecimal;
import java.time.Instant;

/** GPU-hours one workload type used in one clock hour. */
public record UsageHour(Instant hour, BigDecimal gpuHours, WorkloadType type) {
}
