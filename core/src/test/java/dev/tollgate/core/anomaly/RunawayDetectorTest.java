package dev.tollgate.core.anomaly;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RunawayDetectorTest {

    static final long MINUTE = 60_000;
    static final RunawayDetector.Settings SETTINGS = new RunawayDetector.Settings(5, 10 * MINUTE, 5.0, 30, 15 * MINUTE);

    @Test
    void theSamePromptOverAndOver() {
        RunawayDetector d = new RunawayDetector(SETTINGS);
        for (int i = 0; i < 4; i++) assertThat(d.observe("k", 42, i * MINUTE)).isNull();
        RunawayDetector.Finding f = d.observe("k", 42, 4 * MINUTE);
        assertThat(f.kind()).isEqualTo(RunawayDetector.Kind.REPEATED_PROMPT);
        assertThat(f.count()).isEqualTo(5);
        assertThat(d.observe("k", 42, 5 * MINUTE)).isNull(); // once per cooldown
        assertThat(d.observe("other", 42, 5 * MINUTE)).isNull(); // per key
    }

    @Test
    void repeatsSpreadWiderThanTheWindowAreNotALoop() {
        RunawayDetector d = new RunawayDetector(SETTINGS);
        for (int i = 0; i < 20; i++) assertThat(d.observe("k", 42, i * 3 * MINUTE)).isNull(); // one every 3 minutes: 4 per 10
    }

    @Test
    void aSuddenMultipleOfTheKeysOwnRate() {
        RunawayDetector d = new RunawayDetector(SETTINGS);
        long t = 0;
        long hash = 0;
        for (int m = 0; m < 90; m++) { // 90 minutes at 8 distinct requests a minute
            for (int i = 0; i < 8; i++) assertThat(d.observe("k", hash++, m * MINUTE + i * 7_000L)).isNull();
        }
        t = 90 * MINUTE;
        RunawayDetector.Finding f = null;
        int sent = 0;
        while (f == null && sent < 100) f = d.observe("k", hash++, t + (sent++) * 100L);
        // 5 × 8 = 40 a minute is the line: the 41st request of the minute tips it
        assertThat(f).isNotNull();
        assertThat(f.kind()).isEqualTo(RunawayDetector.Kind.REQUEST_RATE);
        assertThat(f.count()).isEqualTo(41);
        assertThat(f.baseline()).isEqualTo(8.0);
    }

    @Test
    void anHourOfSeededHistoryIsJudgedAtOnceAndAShorterOneWaits() {
        RunawayDetector d = new RunawayDetector(SETTINGS);
        long start = 1_000 * MINUTE;
        for (int m = 1; m <= 61; m++) d.seed("old", start - m * MINUTE, 8); // the hour before start, as a restart reads it
        for (int m = 1; m <= 20; m++) d.seed("young", start - m * MINUTE, 8); // a key first seen 20 minutes ago
        RunawayDetector.Finding f = null;
        int sent = 0;
        while (f == null && sent < 100) f = d.observe("old", sent, start + (sent++) * 100L);
        assertThat(f).isNotNull();
        assertThat(f.kind()).isEqualTo(RunawayDetector.Kind.REQUEST_RATE);
        assertThat(f.count()).isEqualTo(41); // above 5 × its usual 8 a minute
        assertThat(f.baseline()).isEqualTo(8.0);
        for (int i = 0; i < 100; i++) assertThat(d.observe("young", i, start + i * 100L)).isNull();
    }
}
