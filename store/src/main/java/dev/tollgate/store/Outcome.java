package dev.tollgate.store;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * Whether the work a request, or a whole decision (the requests tagged {@code decision=NAME}), served succeeded.
 * Exactly one of {@code requestId} and {@code decision} is set. Recording again for the same subject replaces the
 * earlier outcome (the latest one counts).
 *
 * @param time      when the outcome was recorded
 * @param valueUsd  what the success was worth, or null when not known
 */
public record Outcome(Instant time, String requestId, String decision, boolean success, BigDecimal valueUsd) {

    public Outcome {
        if ((requestId == null) == (decision == null)) {
            throw new IllegalArgumentException("an outcome names either a request_id or a decision, not both or neither");
        }
        if (time == null) throw new IllegalArgumentException("time is required");
        if (valueUsd != null && valueUsd.signum() < 0) throw new IllegalArgumentException("value_usd must not be negative");
    }
}
