package dev.tollgate.core.budget;

import java.math.BigDecimal;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;

/**
 * A spending limit on one scope over one period.
 *
 * @param name        unique; how errors, headers and alerts name it
 * @param scope       whose spend counts
 * @param period      when it starts over
 * @param limitUsd    the most that may be spent in one period, in US dollars
 * @param action      what happens to a request the budget cannot afford
 * @param downgradeTo the model served instead, for {@link Action#DOWNGRADE}
 * @param thresholds  percentages of the limit at which an alert is sent, once per period each
 * @param zone        the calendar that daily, weekly and monthly periods follow
 */
public record Budget(String name, Scope scope, Period period, BigDecimal limitUsd, Action action, String downgradeTo,
                     List<Integer> thresholds, ZoneId zone) {

    public static final List<Integer> DEFAULT_THRESHOLDS = List.of(60, 80, 95, 100);

    public Budget {
        if (name == null || !name.matches("[A-Za-z0-9_.:@-]{1,100}")) {
            throw new IllegalArgumentException("a budget name is 1 to 100 letters, digits or _ . : @ -, not '" + name + "'");
        }
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(period, "period");
        Objects.requireNonNull(limitUsd, "limit");
        if (limitUsd.signum() < 0) throw new IllegalArgumentException("budget " + name + ": the limit cannot be negative");
        action = action == null ? Action.BLOCK : action;
        if (action == Action.DOWNGRADE && (downgradeTo == null || downgradeTo.isBlank())) {
            throw new IllegalArgumentException("budget " + name + ": action downgrade needs downgrade_to (a cheaper model)");
        }
        thresholds = thresholds == null ? DEFAULT_THRESHOLDS : thresholds.stream().sorted().distinct().toList();
        for (int t : thresholds) {
            if (t <= 0 || t > 100) throw new IllegalArgumentException("budget " + name + ": thresholds are percentages from 1 to 100, not " + t);
        }
        if (thresholds.size() > 31) throw new IllegalArgumentException("budget " + name + ": at most 31 thresholds");
        zone = zone == null ? ZoneId.of("UTC") : zone;
    }

    /** What a budget does to a request it cannot afford. */
    public enum Action {
        /** Refuse it (HTTP 429, {@code budget_exceeded}). */
        BLOCK,
        /** Let it through and alert. */
        NOTIFY,
        /** Serve it with the cheaper {@code downgradeTo} model. */
        DOWNGRADE;

        public static Action parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase());
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("action must be block, notify or downgrade, not '" + name + "'");
            }
        }

        public String label() {
            return name().toLowerCase();
        }
    }
}
