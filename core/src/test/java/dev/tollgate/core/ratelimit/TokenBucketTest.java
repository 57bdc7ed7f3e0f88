package dev.tollgate.core.ratelimit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TokenBucketTest {

    static final long SECOND = 1_000_000_000L;

    @Test
    void burstsAMinutesAllowanceThenRefillsAtTheSteadyRate() {
        TokenBucket bucket = new TokenBucket(60, 0); // one a second
        for (int i = 0; i < 60; i++) assertThat(bucket.tryTake(1, 0)).isZero();
        assertThat(bucket.tryTake(1, 0)).isEqualTo(SECOND);
        assertThat(bucket.tryTake(1, SECOND / 2)).isEqualTo(SECOND / 2);
        assertThat(bucket.tryTake(1, SECOND)).isZero();
        assertThat(bucket.remaining(SECOND)).isZero();
        assertThat(bucket.nanosUntilFull(SECOND)).isEqualTo(60 * SECOND);
    }

    @Test
    void correctionsGiveBackOrTakeMore() {
        TokenBucket bucket = new TokenBucket(1000, 0);
        assertThat(bucket.tryTake(800, 0)).isZero();   // the worst case
        bucket.adjust(800 - 150, 0);                      // it used 150
        assertThat(bucket.remaining(0)).isEqualTo(850);
        bucket.adjust(-900, 0);                           // a call that used more than it reserved
        assertThat(bucket.remaining(0)).isZero();
        // 50 short: 150 tokens (50 back to zero, then 100) at 1000 a minute take 9 seconds
        assertThat(bucket.tryTake(100, 0)).isEqualTo(9 * SECOND);
    }

    @Test
    void anOversizedRequestPassesOnlyFromAFullBucket() {
        TokenBucket bucket = new TokenBucket(100, 0);
        assertThat(bucket.tryTake(500, 0)).isZero();
        assertThat(bucket.tryTake(500, 0)).isPositive();
    }
}
