package dev.tollgate.core.alert;

import java.time.Instant;
import java.util.Map;

/**
 * Something a person should hear about: a budget threshold reached, a budget exhausted, spend running far above its
 * usual rate, or a key in a runaway loop.
 *
 * @param time    when it fired
 * @param kind    {@code budget_threshold}, {@code budget_exceeded}, {@code spend_anomaly} or {@code runaway}
 * @param subject what it is about: a budget name, or a scope such as {@code team:search}
 * @param message one line for a person
 * @param details machine-readable facts (spent, limit, threshold, period_start, rate, baseline, …)
 */
public record Alert(Instant time, String kind, String subject, String message, Map<String, String> details) {

    public Alert {
        details = details == null ? Map.of() : Map.copyOf(details);
    }
}
