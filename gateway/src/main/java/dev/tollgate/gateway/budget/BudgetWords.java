package dev.tollgate.gateway.budget;

import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.Period;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

/** How budgets are worded in errors, alerts and the admin API, so all three say the same thing the same way. */
public final class BudgetWords {

    private BudgetWords() {
    }

    /** Dollars for a person: at least cents, at most six decimals ("$0.000084", "$12.50"). */
    public static String usd(BigDecimal amount) {
        int scale = Math.max(2, Math.min(6, amount.stripTrailingZeros().scale()));
        return "$" + amount.setScale(scale, RoundingMode.HALF_UP).toPlainString();
    }

    /** Dollars for a machine: exact, without trailing zeros ("0.0000276", "0"). */
    public static String exact(BigDecimal amount) {
        return amount.signum() == 0 ? "0" : amount.stripTrailingZeros().toPlainString();
    }

    /** "today", "this week", "this month", "in all". */
    public static String period(Budget b) {
        return switch (b.period()) {
            case DAILY -> "today";
            case WEEKLY -> "this week";
            case MONTHLY -> "this month";
            case LIFETIME -> "in all";
        };
    }

    /** When the period ends, in the budget's own time zone. */
    public static String reset(Budget b, Period.Window window) {
        if (window.end() == Instant.MAX) return "never (lifetime budget)";
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(window.end().atZone(b.zone())) + " (" + b.zone().getId() + ")";
    }
}
