package dev.tollgate.gateway.budget;

import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.Period;
import dev.tollgate.core.budget.Scope;
import dev.tollgate.gateway.config.SpendControls;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The shared counters' scripts against a real Redis, with two {@link RedisCounters} standing for two replicas. */
class RedisCountersTest {

    RedisFixture redis;
    RedisCounters a, b;
    final BudgetBook book = new BudgetBook();

    @BeforeEach
    void connect() {
        redis = new RedisFixture();
        SpendControls.Redis settings = new SpendControls.Redis(RedisFixture.URL, redis.prefix, false, Duration.ofSeconds(5), null);
        a = RedisCounters.connect(settings, Clock.systemUTC());
        b = RedisCounters.connect(settings, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        if (a == null) return; // skipped: no Redis
        a.close();
        b.close();
        redis.close();
    }

    RedisCounters.Target target(String name, String limit, Budget.Action action, List<Integer> thresholds, Period period, Instant at) {
        Budget budget = new Budget(name, new Scope("team", name), period, new BigDecimal(limit), action,
                action == Budget.Action.DOWNGRADE ? "cheap" : null, thresholds, ZoneId.of("UTC"));
        BudgetBook.Entry e = book.find(name).filter(x -> x.budget().equals(budget)).orElseGet(() -> book.put(budget, BigDecimal.ZERO, 0, at));
        return new RedisCounters.Target(e, period.window(at, budget.zone()));
    }

    RedisCounters.Target target(String name, String limit) {
        return target(name, limit, Budget.Action.BLOCK, List.of(), Period.MONTHLY, Instant.now());
    }

    static int ids;

    /** A request id, as the gateway gives each request. */
    static String id() {
        return "req_" + ids++;
    }

    static <T> T await(Future<T> f) {
        return RedisFixture.await(f);
    }

    @Test
    void amountsRoundUpToAPicodollarAndLimitsDown() {
        assertThat(RedisCounters.limbs(new BigDecimal("123456789.000000000001"))).containsExactly("123456789", "1");
        assertThat(RedisCounters.limbs(new BigDecimal("0.0000001500000001"))).containsExactly("0", "150001");
        assertThat(RedisCounters.limbs(new BigDecimal("0.0000001500000001"), java.math.RoundingMode.FLOOR)).containsExactly("0", "150000");
        assertThat(RedisCounters.limbs(BigDecimal.ZERO)).containsExactly("0", "0");
    }

    @Test
    void reservationsAreExactPastWhatADoubleHoldsAndAllOrNothing() {
        // a billion dollars and three picodollars: a double cannot tell it from a billion
        RedisCounters.Target loose = target("loose", "1000000000000"), big = target("big", "1000000000.000000000003");
        List<RedisCounters.Target> both = List.of(loose, big);
        BigDecimal third = new BigDecimal("333333333.333333333334");
        for (int i = 0; i < 3; i++) assertThat(await(a.reserve(both, third, false, id())).reserved()).isTrue();
        RedisCounters.Reserve pico = await(b.reserve(both, new BigDecimal("0.000000000001"), false, id()));
        assertThat(pico.reserved()).isTrue();
        assertThat(pico.counters().get(1).reserved()).isEqualByComparingTo("1000000000.000000000003");

        RedisCounters.Reserve refused = await(a.reserve(both, new BigDecimal("0.000000000001"), false, id()));
        assertThat(refused.reserved()).isFalse();
        assertThat(refused.blockedBy()).isEqualTo(1);
        assertThat(refused.counters().getFirst().reserved()).isEqualByComparingTo("1000000000.000000000003");
        // nothing was added to the budget that could afford it
        assertThat(await(a.read(loose.entry().budget(), loose.window())).reserved()).isEqualByComparingTo("1000000000.000000000003");
    }

    @Test
    void twoHundredConcurrentReservationsFromTwoReplicasTakeExactlyTen() {
        RedisCounters.Target t = target("crowd", "1");
        List<Future<RedisCounters.Reserve>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) calls.add((i % 2 == 0 ? a : b).reserve(List.of(t), new BigDecimal("0.1"), false, id()));
        long ok = calls.stream().map(RedisCountersTest::await).filter(RedisCounters.Reserve::reserved).count();
        assertThat(ok).isEqualTo(10);
        RedisCounters.Counters c = await(a.read(t.entry().budget(), t.window()));
        assertThat(c.reserved()).isEqualByComparingTo("1");
        assertThat(c.spent()).isEqualByComparingTo("0");
    }

    @Test
    void settleMovesTheReservationToSpentAtTheRealCostAndReleaseGivesItBack() {
        RedisCounters.Target t = target("settled", "1", Budget.Action.BLOCK, List.of(10, 50), Period.MONTHLY, Instant.now());
        BigDecimal worst = new BigDecimal("0.5");
        assertThat(await(a.reserve(List.of(t), worst, false, "first")).reserved()).isTrue();
        assertThat(await(b.reserve(List.of(t), worst, false, "second")).reserved()).isTrue();
        assertThat(await(a.reserve(List.of(t), new BigDecimal("0.000000000001"), false, id())).reserved()).isFalse();

        RedisCounters.Settled s = await(a.settle(List.of(t), "first", new BigDecimal("0.123456789012"))).getFirst();
        assertThat(s.counters().spent()).isEqualByComparingTo("0.123456789012");
        assertThat(s.counters().reserved()).isEqualByComparingTo("0.5");
        assertThat(s.claimed()).containsExactly(10); // 12.3% of the limit: past 10, short of 50
        RedisCounters.Settled released = await(b.settle(List.of(t), "second", BigDecimal.ZERO)).getFirst();
        assertThat(released.counters().spent()).isEqualByComparingTo("0.123456789012");
        assertThat(released.counters().reserved()).isEqualByComparingTo("0");
        assertThat(released.claimed()).isEmpty();
        // settling the same hold again gives nothing back twice
        assertThat(await(b.settle(List.of(t), "second", BigDecimal.ZERO)).getFirst().counters().reserved()).isEqualByComparingTo("0");
        // what was given back can be reserved again
        assertThat(await(b.reserve(List.of(t), new BigDecimal("0.876543210988"), false, id())).reserved()).isTrue();
    }

    @Test
    void eachThresholdIsClaimedOncePerPeriodAcrossReplicas() {
        RedisCounters.Target t = target("alerted", "1", Budget.Action.BLOCK, List.of(50, 80, 100), Period.DAILY, Instant.now());
        BigDecimal tenth = new BigDecimal("0.1");
        List<Future<RedisCounters.Reserve>> reserves = new ArrayList<>();
        for (int i = 0; i < 10; i++) reserves.add((i % 2 == 0 ? a : b).reserve(List.of(t), tenth, false, "call-" + i));
        reserves.forEach(r -> assertThat(await(r).reserved()).isTrue());
        List<Future<List<RedisCounters.Settled>>> settles = new ArrayList<>();
        for (int i = 0; i < 10; i++) settles.add((i % 2 == 0 ? a : b).settle(List.of(t), "call-" + i, tenth));
        List<Integer> claimed = new ArrayList<>();
        for (var s : settles) claimed.addAll(await(s).getFirst().claimed());
        assertThat(claimed).containsExactlyInAnyOrder(50, 80, 100);
        // a request refused at the limit does not alert 100% again
        RedisCounters.Reserve refused = await(b.reserve(List.of(t), tenth, false, id()));
        assertThat(refused.blockedBy()).isZero();
        assertThat(refused.exhausted()).isEmpty();
        assertThat(refused.refused()).isEmpty();
    }

    @Test
    void notifyAndDowngradeBudgetsGoOverOnlyWhenForced() {
        RedisCounters.Target block = target("strict", "10"), notify = target("lenient", "0.1", Budget.Action.NOTIFY, List.of(100),
                Period.MONTHLY, Instant.now());
        RedisCounters.Reserve asked = await(a.reserve(List.of(block, notify), new BigDecimal("0.2"), false, id()));
        assertThat(asked.reserved()).isFalse();
        assertThat(asked.over()).containsExactly(1);
        assertThat(await(a.read(block.entry().budget(), block.window())).reserved()).isEqualByComparingTo("0");
        RedisCounters.Reserve forced = await(b.reserve(List.of(block, notify), new BigDecimal("0.2"), true, id()));
        assertThat(forced.reserved()).isTrue();
        assertThat(forced.over()).containsExactly(1);
        // nothing is spent yet: the budget is not exhausted, one request did not fit (alerted once per period)
        assertThat(forced.exhausted()).isEmpty();
        assertThat(forced.refused()).containsExactly(1);
        assertThat(forced.counters().get(1).reserved()).isEqualByComparingTo("0.2");
        RedisCounters.Reserve again = await(a.reserve(List.of(block, notify), new BigDecimal("0.2"), true, id()));
        assertThat(again.exhausted()).isEmpty();
        assertThat(again.refused()).isEmpty();
    }

    @Test
    void eachPeriodHasItsOwnCountersWhichExpireAfterItEnds() {
        Instant now = Instant.now();
        RedisCounters.Target today = target("daily", "1", Budget.Action.BLOCK, List.of(), Period.DAILY, now);
        RedisCounters.Target tomorrow = target("daily", "1", Budget.Action.BLOCK, List.of(), Period.DAILY, now.plus(Duration.ofDays(1)));
        assertThat(await(a.reserve(List.of(today), new BigDecimal("1"), false, "today")).reserved()).isTrue();
        await(a.settle(List.of(today), "today", new BigDecimal("1")));
        assertThat(await(b.reserve(List.of(today), new BigDecimal("0.01"), false, id())).reserved()).isFalse();
        // the next day starts at nothing spent
        RedisCounters.Reserve next = await(b.reserve(List.of(tomorrow), new BigDecimal("1"), false, id()));
        assertThat(next.reserved()).isTrue();
        assertThat(next.counters().getFirst().spent()).isEqualByComparingTo("0");

        // today's counters go an hour after today ends
        String key = a.budgetKey(today.entry().budget(), today.window().start());
        long ttl = redis.call(Command.PTTL, key).toLong();
        long expected = today.window().end().toEpochMilli() + 3_600_000 - System.currentTimeMillis();
        assertThat(ttl).isBetween(expected - 5_000, expected + 1_000);

        // a period long over: its counters vanish at once, and a settle for it changes nothing
        RedisCounters.Target old = target("daily", "1", Budget.Action.BLOCK, List.of(), Period.DAILY, now.minus(Duration.ofDays(3)));
        assertThat(await(a.reserve(List.of(old), new BigDecimal("0.5"), false, "old")).reserved()).isTrue();
        assertThat(redis.call(Command.EXISTS, a.budgetKey(old.entry().budget(), old.window().start())).toInteger()).isZero();
        assertThat(await(a.settle(List.of(old), "old", new BigDecimal("0.5"))).getFirst().counters()).isNull();
        assertThat(redis.call(Command.EXISTS, a.budgetKey(old.entry().budget(), old.window().start())).toInteger()).isZero();
    }

    @Test
    void aLifetimeBudgetNeverExpiresAndSeedingHappensOnce() {
        RedisCounters.Target t = target("forever", "5", Budget.Action.BLOCK, List.of(50, 100), Period.LIFETIME, Instant.now());
        Budget budget = t.entry().budget();
        assertThat(await(a.seed(budget, t.window(), new BigDecimal("3.000000000001"), List.of(50)))).isTrue();
        assertThat(await(b.seed(budget, t.window(), new BigDecimal("1"), List.of()))).isFalse();
        assertThat(await(b.read(budget, t.window())).spent()).isEqualByComparingTo("3.000000000001");
        assertThat(redis.call(Command.PTTL, a.budgetKey(budget, t.window().start())).toLong()).isEqualTo(-1);
        await(a.reserve(List.of(t), BigDecimal.ONE, false, "life"));
        // 50% was alerted before (the store said so): settling past it does not alert it again
        assertThat(await(a.settle(List.of(t), "life", BigDecimal.ONE)).getFirst().claimed()).isEmpty();
    }

    @Test
    void aHoldWhoseLeaseRanOutIsGivenBackAndItsLateSettleOnlyAddsTheCost() throws Exception {
        SpendControls.Redis shortLease = new SpendControls.Redis(RedisFixture.URL, redis.prefix, false, Duration.ofSeconds(5), Duration.ofMillis(1000));
        try (RedisCounters dying = RedisCounters.connect(shortLease, Clock.systemUTC())) {
            RedisCounters.Target t = target("leased", "1");
            // a replica reserves and dies before it settles
            assertThat(await(dying.reserve(List.of(t), new BigDecimal("0.9"), false, "orphan")).reserved()).isTrue();
            assertThat(await(a.reserve(List.of(t), new BigDecimal("0.2"), false, id())).reserved()).isFalse();
            Thread.sleep(1200);
            // the next reservation finds the lease run out and gives the hold back first
            RedisCounters.Reserve after = await(a.reserve(List.of(t), new BigDecimal("0.2"), false, "fresh"));
            assertThat(after.reserved()).isTrue();
            assertThat(after.counters().getFirst().reserved()).isEqualByComparingTo("0.2");
            // the orphan's call did finish after all: its cost counts, its hold is not given back twice
            RedisCounters.Settled late = await(a.settle(List.of(t), "orphan", new BigDecimal("0.3"))).getFirst();
            assertThat(late.counters().spent()).isEqualByComparingTo("0.3");
            assertThat(late.counters().reserved()).isEqualByComparingTo("0.2");
        }
    }

    @Test
    void aReplicasSliceIsGrantedOnlyWhileTheFloorIsLeftCountsAsHeldForAllAndEachReportAppliesOnce() {
        RedisCounters.Target t = target("sliced", "10", Budget.Action.BLOCK, List.of(5), Period.MONTHLY, Instant.now());
        BigDecimal floor = BigDecimal.ONE;
        Duration lease = Duration.ofSeconds(10);
        // 2 wanted, 8 left beyond it: more than the floor
        RedisCounters.Leased first = await(a.lease(t, "slice-a", 1, BigDecimal.ZERO, BigDecimal.ZERO, new BigDecimal("2"), floor, lease));
        assertThat(first.granted()).isEqualByComparingTo("2");
        assertThat(first.counters().reserved()).as("slices are not shown as reserved").isEqualByComparingTo("0");
        // the slice is held for every replica: 8.5 more do not fit, 7 do
        assertThat(await(b.reserve(List.of(t), new BigDecimal("8.5"), false, "big")).reserved()).isFalse();
        assertThat(await(b.reserve(List.of(t), new BigDecimal("7"), false, "seven")).reserved()).isTrue();
        // the replica spent 0.5 of its slice and would like 3.5: 0.5 + 7 + 3.5 leaves less than the floor, so it keeps 1.5
        RedisCounters.Leased second = await(a.lease(t, "slice-a", 2, new BigDecimal("0.5"), new BigDecimal("1.5"), new BigDecimal("3.5"), floor, lease));
        assertThat(second.granted()).isEqualByComparingTo("1.5");
        assertThat(second.counters().spent()).isEqualByComparingTo("0.5");
        assertThat(second.counters().reserved()).isEqualByComparingTo("7");
        assertThat(second.claimed()).containsExactly(5); // 0.5 of 10 is 5%
        // the same report again (a retry after a timeout) changes nothing
        RedisCounters.Leased again = await(a.lease(t, "slice-a", 2, new BigDecimal("0.5"), new BigDecimal("1.5"), new BigDecimal("3.5"), floor, lease));
        assertThat(again.granted()).isEqualByComparingTo("1.5");
        assertThat(await(a.read(t.entry().budget(), t.window())).spent()).isEqualByComparingTo("0.5");
        // once the 7 are given back the slice grows again; giving it all back leaves only what was spent
        await(b.settle(List.of(t), "seven", BigDecimal.ZERO));
        assertThat(await(a.lease(t, "slice-a", 3, BigDecimal.ZERO, new BigDecimal("1.5"), new BigDecimal("2"), floor, lease)).granted())
                .isEqualByComparingTo("2");
        RedisCounters.Leased back = await(a.lease(t, "slice-a", 4, new BigDecimal("1"), BigDecimal.ZERO, BigDecimal.ZERO, floor, lease));
        assertThat(back.counters().spent()).isEqualByComparingTo("1.5");
        assertThat(back.counters().reserved()).isEqualByComparingTo("0");
    }

    @Test
    void aDeadReplicasSliceIsGivenBackOnceItsLeaseRunsOut() throws Exception {
        RedisCounters.Target t = target("orphaned", "10");
        // a replica takes a slice of 5 with a short lease, and dies
        assertThat(await(b.lease(t, "slice-dead", 1, BigDecimal.ZERO, BigDecimal.ZERO, new BigDecimal("5"), BigDecimal.ONE,
                Duration.ofMillis(1000))).granted()).isEqualByComparingTo("5");
        assertThat(await(a.reserve(List.of(t), new BigDecimal("6"), false, "too-soon")).reserved()).isFalse();
        Thread.sleep(1200);
        // the next reservation that needs the room finds the lease run out and gives the slice back first
        RedisCounters.Reserve after = await(a.reserve(List.of(t), new BigDecimal("6"), false, "after"));
        assertThat(after.reserved()).isTrue();
        assertThat(after.counters().getFirst().reserved()).isEqualByComparingTo("6");
        assertThat(await(a.reserve(List.of(t), new BigDecimal("4"), false, "rest")).reserved()).isTrue();
        assertThat(await(a.reserve(List.of(t), new BigDecimal("0.000000000001"), false, "over")).reserved()).isFalse();
    }

    @Test
    void rateLimitBucketsAreSharedByReplicas() {
        List<RedisCounters.Bucket> one = List.of(new RedisCounters.Bucket("customer:metered", false, 3, 1));
        for (int i = 0; i < 3; i++) {
            RedisCounters.Buckets taken = await((i % 2 == 0 ? a : b).take(one));
            assertThat(taken.allowed()).isTrue();
            assertThat(taken.remaining()[0]).isEqualTo(2 - i);
        }
        RedisCounters.Buckets refused = await(b.take(one));
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.refused()).isZero();
        // one request of three per minute refills in at most 20 s
        assertThat(refused.retryAfterMs()).isBetween(1L, 20_000L);
        await(a.adjust(one));
        assertThat(await(b.take(one)).allowed()).isTrue();

        // all or nothing: a token bucket that cannot give leaves the request bucket untouched
        List<RedisCounters.Bucket> pair = List.of(new RedisCounters.Bucket("team:x", false, 10, 1),
                new RedisCounters.Bucket("team:x", true, 100, 150));
        assertThat(await(a.take(pair)).allowed()).isTrue(); // more than the capacity is allowed from a full bucket
        RedisCounters.Buckets noTokens = await(b.take(pair));
        assertThat(noTokens.refused()).isEqualTo(1);
        RedisCounters.Buckets after = await(a.take(List.of(pair.getFirst())));
        assertThat(after.remaining()[0]).isEqualTo(8);
    }
}
