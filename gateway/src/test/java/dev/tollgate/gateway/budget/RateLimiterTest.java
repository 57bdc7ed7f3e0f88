package dev.tollgate.gateway.budget;

import dev.tollgate.core.budget.Scope;
import dev.tollgate.gateway.config.SpendControls;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class RateLimiterTest {

    static final long SECOND = 1_000_000_000L;

    @Test
    void aStarScopeGivesEveryValueItsOwnBucketsAndAllMustAllow() {
        AtomicLong clock = new AtomicLong();
        RateLimiter limiter = new RateLimiter(List.of(
                new SpendControls.RateLimit(Scope.parse("key:*"), 2, 0),
                new SpendControls.RateLimit(Scope.parse("team:search"), 3, 0)), clock::get);
        Map<String, String> search = Map.of("team", "search");
        var a = limiter.applicable("a", search);
        var b = limiter.applicable("b", search);
        assertThat(a).extracting(RateLimiter.Buckets::scope).containsExactly("key:a", "team:search");
        assertThat(limiter.acquire(a, 0).allowed()).isTrue();
        assertThat(limiter.acquire(a, 0).allowed()).isTrue();
        RateLimiter.Decision third = limiter.acquire(a, 0);
        assertThat(third.refusedBy()).isEqualTo("key:a");
        assertThat(third.retryAfterNanos()).isEqualTo(30 * SECOND); // two a minute: one every 30 s
        // key b has its own two, but the team's three are shared and one is left
        assertThat(limiter.acquire(b, 0).allowed()).isTrue();
        RateLimiter.Decision teamFull = limiter.acquire(b, 0);
        assertThat(teamFull.refusedBy()).isEqualTo("team:search");
        // a refusal takes nothing: key b's bucket still has its second request
        clock.set(20 * SECOND); // one team request back (3 a minute)
        assertThat(limiter.acquire(b, 0).allowed()).isTrue();
        assertThat(limiter.applicable("c", Map.of())).extracting(RateLimiter.Buckets::scope).containsExactly("key:c");
    }

    @Test
    void tokenTakesAreCorrectedAfterTheCall() {
        AtomicLong clock = new AtomicLong();
        RateLimiter limiter = new RateLimiter(List.of(new SpendControls.RateLimit(Scope.parse("org"), 0, 1000)), clock::get);
        var buckets = limiter.applicable("k", Map.of());
        RateLimiter.Decision d = limiter.acquire(buckets, 900);
        assertThat(d.allowed()).isTrue();
        assertThat(limiter.acquire(buckets, 200).refusedTokens()).isTrue();
        limiter.correct(d.held(), 900, 300); // it used 300 of the 900 held
        assertThat(buckets.getFirst().tokens().remaining(0)).isEqualTo(700);
        assertThat(limiter.acquire(buckets, 200).allowed()).isTrue();
    }
}
