package dev.tollgate.core.anomaly;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SpendRateDetectorTest {

    static final long MINUTE = 60_000, HOUR = 60 * MINUTE, DAY = 24 * HOUR;
    static final long T0 = 1_700_006_400_000L; // 2023-11-15T00:00:00Z, a fixed origin

    /** Feeds a scope {@code perHour} dollars an hour, in five-minute rows, over {@code [from, to)}; returns the first finding. */
    static SpendRateDetector.Finding feed(SpendRateDetector d, String scope, long from, long to, double perHour) {
        for (long t = from; t < to; t += 5 * MINUTE) {
            SpendRateDetector.Finding f = d.observe(scope, t, perHour / 12);
            if (f != null) return f;
        }
        return null;
    }

    @Test
    void aSpendSpikeIsFoundWithinTheHourAndOnlyOnce() {
        SpendRateDetector d = new SpendRateDetector(new SpendRateDetector.Settings(2.0, 5.0, 6 * HOUR));
        assertThat(feed(d, "team:search", T0, T0 + 21 * DAY, 10)).isNull(); // three steady weeks: nothing to report
        // now four times the usual rate: the trailing hour passes 2 × $10 once 20 minutes of the spike are in it
        // ($10 × 40/60 + $40 × 20/60 = $20), and is reported at the next evaluation after that
        long spike = T0 + 21 * DAY;
        SpendRateDetector.Finding f = feed(d, "team:search", spike, spike + 3 * HOUR, 40);
        assertThat(f).isNotNull();
        assertThat(f.atMillis() - spike).isBetween(20 * MINUTE, 30 * MINUTE);
        assertThat(f.baselineMedian()).isEqualTo(10.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(feed(d, "team:search", spike + 3 * HOUR, spike + 5 * HOUR, 40)).isNull(); // cooldown: once per incident
    }

    @Test
    void smallScopesDoNotPageAnyone() {
        SpendRateDetector d = new SpendRateDetector(new SpendRateDetector.Settings(2.0, 5.0, 6 * HOUR));
        feed(d, "customer:tiny", T0, T0 + 21 * DAY, 0.10);
        assertThat(feed(d, "customer:tiny", T0 + 21 * DAY, T0 + 22 * DAY, 1.00)).isNull(); // 10× but $1 an hour
    }

    @Test
    void aBusyHourThatIsBusyEveryWeekIsNormal() {
        SpendRateDetector d = new SpendRateDetector(new SpendRateDetector.Settings(2.0, 5.0, 6 * HOUR));
        // every day 09:00–10:00 runs at $50 an hour, the rest at $10
        for (long day = 0; day < 22; day++) {
            long base = T0 + day * DAY;
            assertThat(feed(d, "org", base, base + 9 * HOUR, 10)).isNull();
            assertThat(feed(d, "org", base + 9 * HOUR, base + 10 * HOUR, 50)).isNull();
            assertThat(feed(d, "org", base + 10 * HOUR, base + DAY, 10)).isNull();
        }
    }

    @Test
    void noJudgementWithoutTwoWeeksOfHistory() {
        SpendRateDetector d = new SpendRateDetector(new SpendRateDetector.Settings(2.0, 5.0, 6 * HOUR));
        feed(d, "key:new", T0, T0 + 10 * DAY, 10);
        assertThat(feed(d, "key:new", T0 + 10 * DAY, T0 + 11 * DAY, 100)).isNull(); // one comparable week is not enough
    }

    @Test
    void aBurstAtTheSameMinuteEveryWeekIsNormalAndTheSpikeAfterItIsFound() {
        // issue 14: $0.006 an hour, and a $0.03 burst every week at 10:05; read pro rata from hourly buckets, the past
        // weeks held only a sixth of the burst in the hour ending 10:10, so the burst looked like a 3× spike each week
        // and the cooldown then hid a real spike
        SpendRateDetector d = new SpendRateDetector(new SpendRateDetector.Settings(2.0, 0.01, 6 * HOUR));
        long burst = 10 * HOUR + 5 * MINUTE;
        for (long t = T0; t < T0 + 28 * DAY + 10 * HOUR + 30 * MINUTE; t += 5 * MINUTE) {
            double usd = 0.0005 + (Math.floorMod(t - T0, 7 * DAY) == burst ? 0.03 : 0);
            assertThat(d.observe("customer:weekly", t, usd)).as("at %d minutes", (t - T0) / MINUTE).isNull();
        }
        // then a real spike: $0.05 an hour more from 10:30, found within the hour
        long spike = T0 + 28 * DAY + 10 * HOUR + 30 * MINUTE;
        SpendRateDetector.Finding f = null;
        for (long t = spike; f == null && t < spike + 3 * HOUR; t += 5 * MINUTE) f = d.observe("customer:weekly", t, (0.006 + 0.05) / 12);
        assertThat(f).isNotNull();
        assertThat(f.atMillis() - spike).isLessThanOrEqualTo(HOUR);
        assertThat(f.baselineMedian()).isEqualTo(0.006, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(f.hourMillis()).isEqualTo(T0 + 28 * DAY + 11 * HOUR);
    }
}
