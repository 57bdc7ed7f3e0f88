package dev.tollgate.core.budget;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;

/** How often a budget starts over. Daily, weekly (ISO: Monday) and monthly periods follow the calendar of a time zone. */
public enum Period {
    DAILY, WEEKLY, MONTHLY, LIFETIME;

    /** The period containing {@code at}, as a half-open range {@code [start, end)}; a lifetime ends at {@link Instant#MAX}. */
    public Window window(Instant at, ZoneId zone) {
        LocalDate day = at.atZone(zone).toLocalDate();
        LocalDate start = switch (this) {
            case DAILY -> day;
            case WEEKLY -> day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            case MONTHLY -> day.withDayOfMonth(1);
            case LIFETIME -> null;
        };
        if (start == null) return new Window(Instant.EPOCH, Instant.MAX);
        LocalDate end = switch (this) {
            case DAILY -> start.plusDays(1);
            case WEEKLY -> start.plusWeeks(1);
            default -> start.plusMonths(1);
        };
        // atStartOfDay(zone) handles days that begin at 01:00 because of a DST jump
        return new Window(start.atStartOfDay(zone).toInstant(), end.atStartOfDay(zone).toInstant());
    }

    public static Period parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("period must be daily, weekly, monthly or lifetime, not '" + name + "'");
        }
    }

    public String label() {
        return name().toLowerCase();
    }

    /** A budget period: {@code [start, end)}. */
    public record Window(Instant start, Instant end) {
        public boolean contains(Instant at) {
            return !at.isBefore(start) && at.isBefore(end);
        }
    }
}
