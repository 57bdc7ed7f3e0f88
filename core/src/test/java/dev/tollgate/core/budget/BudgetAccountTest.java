package dev.tollgate.core.budget;

import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.PriceTier;
import dev.tollgate.core.pricing.Rates;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class BudgetAccountTest {

    static final Instant START = Instant.parse("2026-11-01T00:00:00Z");

    @Test
    void racingThreadsNeverReservePastTheLimit() throws Exception {
        // $1 affords exactly 7 reservations of $0.142857 (7 × 0.142857 = 0.999999; an 8th would make 1.142856)
        BudgetAccount account = new BudgetAccount(START, BigDecimal.ZERO, 0);
        BigDecimal limit = BigDecimal.ONE, each = new BigDecimal("0.142857");
        int threads = 8, tries = 200;
        AtomicInteger won = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < tries; i++) if (account.tryReserve(each, limit) != null) won.incrementAndGet();
            });
            thread.start();
            all.add(thread);
        }
        go.countDown();
        for (Thread t : all) t.join();
        assertThat(won.get()).isEqualTo(7);
        assertThat(account.state().reserved()).isEqualByComparingTo("0.999999");
    }

    @Test
    void settleReplacesTheReserveByTheRealCostAndReleaseGivesItBack() {
        BudgetAccount account = new BudgetAccount(START, new BigDecimal("2.50"), 0);
        var a = account.tryReserve(new BigDecimal("1.00"), new BigDecimal("5"));
        var b = account.tryReserve(new BigDecimal("1.50"), new BigDecimal("5"));
        assertThat(account.tryReserve(new BigDecimal("0.000000000001"), new BigDecimal("5"))).isNull(); // 2.50 + 2.50 = 5 exactly
        account.settle(a, new BigDecimal("0.000123456789"));
        account.release(b);
        assertThat(account.state().spent()).isEqualByComparingTo("2.500123456789");
        assertThat(account.state().reserved()).isEqualByComparingTo("0");
    }

    @Test
    void aNewPeriodStartsOverAndOldReservationsSettleIntoNothing() {
        BudgetAccount account = new BudgetAccount(START, new BigDecimal("4"), 0);
        var old = account.tryReserve(BigDecimal.ONE, new BigDecimal("5"));
        account.rollTo(Instant.parse("2026-12-01T00:00:00Z"));
        account.settle(old, BigDecimal.ONE);
        assertThat(account.state().spent()).isEqualByComparingTo("0");
        assertThat(account.state().reserved()).isEqualByComparingTo("0");
        account.rollTo(START); // an earlier period never comes back
        assertThat(account.state().periodStart()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
    }

    @Test
    void eachThresholdIsClaimedOncePerPeriod() {
        BudgetAccount account = new BudgetAccount(START, BigDecimal.ZERO, 0);
        List<Integer> thresholds = List.of(60, 80, 95, 100);
        BigDecimal limit = new BigDecimal("10");
        account.settle(account.forceReserve(BigDecimal.ZERO), new BigDecimal("5.99"));
        assertThat(account.claimThresholds(thresholds, limit, false)).isEmpty();
        account.settle(account.forceReserve(BigDecimal.ZERO), new BigDecimal("2.01")); // 8.00: both 60 and 80 at once
        assertThat(account.claimThresholds(thresholds, limit, false)).containsExactly(60, 80);
        assertThat(account.claimThresholds(thresholds, limit, false)).isEmpty();
        assertThat(account.claimThresholds(thresholds, limit, true)).containsExactly(100); // refused before reaching 95%
        account.rollTo(Instant.parse("2026-12-01T00:00:00Z"));
        account.settle(account.forceReserve(BigDecimal.ZERO), new BigDecimal("6"));
        assertThat(account.claimThresholds(thresholds, limit, false)).containsExactly(60);
    }

    @Test
    void thresholdsFollowALimitChangedOnTheSameAccount() {
        BudgetAccount account = new BudgetAccount(START, BigDecimal.ZERO, 0);
        List<Integer> thresholds = List.of(60, 80, 95, 100);
        account.settle(account.forceReserve(BigDecimal.ZERO), new BigDecimal("4.75"));
        assertThat(account.claimThresholds(thresholds, new BigDecimal("10"), false)).isEmpty(); // 47.5%
        // the admin API lowers the limit to $5: $4.75 is 95% of it, exactly
        assertThat(account.claimThresholds(thresholds, new BigDecimal("5.00"), false)).containsExactly(60, 80, 95);
        // a zero limit: any spend has reached every threshold
        BudgetAccount zero = new BudgetAccount(START, new BigDecimal("0.01"), 0);
        assertThat(zero.claimThresholds(thresholds, BigDecimal.ZERO, false)).containsExactly(60, 80, 95, 100);
    }

    @Test
    void worstCaseIsPromptAtTheInputRateAndTheOutputCapAtTheOutputRate() {
        ModelPrice gpt4o = new ModelPrice("gpt-4o", "openai", "chat", LocalDate.parse("2024-10-01"), null,
                Rates.of("2.5", "10"), null, null);
        // 34 × $2.50/M + 400 × $10/M = $0.000085 + $0.004 = $0.004085
        assertThat(WorstCase.cost(gpt4o, 34, 400)).isEqualByComparingTo("0.004085");
        ModelPrice tiered = new ModelPrice("m", "x", "chat", LocalDate.parse("2025-01-01"), null, Rates.of("3", "15"),
                List.of(new PriceTier(200_000, Rates.of("6", "22.5"))), null);
        // above 200k prompt tokens the long-context rates apply: 300000 × $6/M + 1000 × $22.5/M = 1.8 + 0.0225
        assertThat(WorstCase.cost(tiered, 300_000, 1000)).isEqualByComparingTo("1.8225");
    }
}
