package dev.tollgate.app.plan;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of the times and durations plan commands take on the command line. */
final class Inputs {

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private Inputs() {
    }

    /** An ISO instant ("2026-11-01T10:00:00Z"), a UTC local time ("2026-11-01T10:00") or a UTC day ("2026-11-01"). */
    static Instant instant(String s) {
        if (s == null) return null;
        s = s.strip();
        try {
            if (s.length() == 10) return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
            if (s.endsWith("Z") || s.contains("+")) return Instant.parse(s);
            return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a time: '" + s + "' (use 2026-11-01 or 2026-11-01T10:00:00Z)");
        }
    }

    /** "90s", "30m", "1h", "7d", "250ms". */
    static Duration duration(String s) {
        Matcher m = DURATION.matcher(s.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) throw new IllegalArgumentException("not a duration: '" + s + "' (use 90s, 30m, 1h, 7d)");
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
