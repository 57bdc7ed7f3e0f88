package dev.tollgate.core.budget;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Period boundaries in a time zone, each expected instant worked out by hand from the zone's UTC offset. */
class PeriodTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

    static Period.Window window(Period p, String at, ZoneId zone) {
        return p.window(Instant.parse(at), zone);
    }

    @Test
    void dailyFollowsTheLocalCalendar() {
        // 2026-11-25T23:30Z is 00:30 on the 26th in Berlin (UTC+1 in winter): the Berlin day began at 23:00Z on the 25th
        Period.Window w = window(Period.DAILY, "2026-11-25T23:30:00Z", BERLIN);
        assertThat(w.start()).isEqualTo(Instant.parse("2026-11-25T23:00:00Z"));
        assertThat(w.end()).isEqualTo(Instant.parse("2026-11-26T23:00:00Z"));
        // the same instant in UTC is still the 25th
        assertThat(window(Period.DAILY, "2026-11-25T23:30:00Z", ZoneId.of("UTC")).start()).isEqualTo(Instant.parse("2026-11-25T00:00:00Z"));
    }

    @Test
    void theDayClocksGoForwardHas23Hours() {
        // Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST; the day starts 23:00Z on the 28th and ends 22:00Z on the 29th
        Period.Window w = window(Period.DAILY, "2026-03-29T12:00:00Z", BERLIN);
        assertThat(w.start()).isEqualTo(Instant.parse("2026-03-28T23:00:00Z"));
        assertThat(w.end()).isEqualTo(Instant.parse("2026-03-29T22:00:00Z"));
    }

    @Test
    void weeksStartOnMonday() {
        // Sunday 2026-11-29 22:00 in New York (UTC-5) is 03:00Z on Monday the 30th; the New York week began Monday the 23rd
        Period.Window w = window(Period.WEEKLY, "2026-11-30T03:00:00Z", NEW_YORK);
        assertThat(w.start()).isEqualTo(Instant.parse("2026-11-23T05:00:00Z"));
        assertThat(w.end()).isEqualTo(Instant.parse("2026-11-30T05:00:00Z"));
        // one hour later in Berlin it is already the new week
        assertThat(window(Period.WEEKLY, "2026-11-30T03:00:00Z", BERLIN).start()).isEqualTo(Instant.parse("2026-11-29T23:00:00Z"));
    }

    @Test
    void monthsAcrossADaylightSavingChange() {
        // October 2026 in New York: begins 04:00Z (EDT, UTC-4), ends 1 November 04:00Z (still EDT until 1 Nov 06:00Z)
        Period.Window oct = window(Period.MONTHLY, "2026-10-15T12:00:00Z", NEW_YORK);
        assertThat(oct.start()).isEqualTo(Instant.parse("2026-10-01T04:00:00Z"));
        assertThat(oct.end()).isEqualTo(Instant.parse("2026-11-01T04:00:00Z"));
        // November ends in EST (UTC-5)
        Period.Window nov = window(Period.MONTHLY, "2026-11-01T04:00:00Z", NEW_YORK);
        assertThat(nov.start()).isEqualTo(Instant.parse("2026-11-01T04:00:00Z"));
        assertThat(nov.end()).isEqualTo(Instant.parse("2026-12-01T05:00:00Z"));
        // the last instant of October belongs to October, the boundary itself to November
        assertThat(oct.contains(Instant.parse("2026-11-01T03:59:59.999Z"))).isTrue();
        assertThat(oct.contains(Instant.parse("2026-11-01T04:00:00Z"))).isFalse();
    }

    @Test
    void februaryInALeapYear() {
        Period.Window w = window(Period.MONTHLY, "2028-02-29T12:00:00Z", ZoneId.of("UTC"));
        assertThat(w.start()).isEqualTo(Instant.parse("2028-02-01T00:00:00Z"));
        assertThat(w.end()).isEqualTo(Instant.parse("2028-03-01T00:00:00Z"));
    }

    @Test
    void lifetimeNeverEnds() {
        Period.Window w = window(Period.LIFETIME, "2026-11-25T12:00:00Z", BERLIN);
        assertThat(w.start()).isEqualTo(Instant.EPOCH);
        assertThat(w.end()).isEqualTo(Instant.MAX);
    }

    @Test
    void parsing() {
        assertThat(Period.parse("Monthly")).isEqualTo(Period.MONTHLY);
        assertThatThrownBy(() -> Period.parse("hourly")).hasMessageContaining("daily, weekly, monthly or lifetime");
        assertThat(Scope.parse("team:search").matches("k", java.util.Map.of("team", "search"))).isTrue();
        assertThat(Scope.parse("team:search").matches("k", java.util.Map.of("team", "ads"))).isFalse();
        assertThat(Scope.parse("key:k").matches("k", java.util.Map.of())).isTrue();
        assertThat(Scope.parse("org").matches("anyone", java.util.Map.of())).isTrue();
        assertThat(Scope.parse("customer:acme:eu").value()).isEqualTo("acme:eu");
        assertThatThrownBy(() -> Scope.parse("team")).hasMessageContaining("TAG:VALUE");
    }
}
