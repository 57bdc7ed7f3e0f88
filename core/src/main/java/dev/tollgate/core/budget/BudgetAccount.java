package dev.tollgate.core.budget;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What one budget has spent and holds in reserve in its current period, shared by every event loop without locks.
 *
 * <p>Each change is a compare-and-set of an immutable {@link State}, so two requests that race for the last dollar
 * cannot both win it: a reservation succeeds only if {@code spent + reserved + amount ≤ limit} held in the very state
 * it replaced. Amounts are exact {@link BigDecimal}s. A reservation is settled (replaced by what the call really
 * cost) or released; one taken in a period that has since ended settles into nothing, because its spend belongs to
 * the period in which the request arrived.
 */
public final class BudgetAccount {

    /**
     * @param periodStart when the current period began
     * @param spent       settled spend in the period
     * @param reserved    worst-case cost of calls still in flight
     * @param alerted     bit i set: threshold i has been alerted in this period; {@link #REFUSAL_BIT}: a refusal has
     */
    public record State(Instant periodStart, BigDecimal spent, BigDecimal reserved, int alerted) {
        public BigDecimal committed() {
            return spent.add(reserved);
        }
    }

    /** A hold on part of a budget for one request. */
    public record Reservation(BudgetAccount account, Instant periodStart, BigDecimal amount) {
    }

    private final AtomicReference<State> state;

    public BudgetAccount(Instant periodStart, BigDecimal spent, int alerted) {
        this.state = new AtomicReference<>(new State(periodStart, spent, BigDecimal.ZERO, alerted));
    }

    public State state() {
        return state.get();
    }

    /** Starts the period beginning at {@code start} if it is later than the current one: nothing spent, nothing alerted. */
    public void rollTo(Instant start) {
        State s;
        do {
            s = state.get();
            if (!start.isAfter(s.periodStart())) return;
        } while (!state.compareAndSet(s, new State(start, BigDecimal.ZERO, BigDecimal.ZERO, 0)));
    }

    /** Reserves {@code amount} if the budget still affords it within {@code limit}; null if it does not. */
    public Reservation tryReserve(BigDecimal amount, BigDecimal limit) {
        while (true) {
            State s = state.get();
            BigDecimal reserved = s.reserved().add(amount);
            if (s.spent().add(reserved).compareTo(limit) > 0) return null;
            if (state.compareAndSet(s, new State(s.periodStart(), s.spent(), reserved, s.alerted()))) {
                return new Reservation(this, s.periodStart(), amount);
            }
        }
    }

    /** Reserves {@code amount} whatever the limit (budgets that notify or downgrade rather than block). */
    public Reservation forceReserve(BigDecimal amount) {
        while (true) {
            State s = state.get();
            if (state.compareAndSet(s, new State(s.periodStart(), s.spent(), s.reserved().add(amount), s.alerted()))) {
                return new Reservation(this, s.periodStart(), amount);
            }
        }
    }

    /** Replaces a reservation by what the call really cost. */
    public void settle(Reservation reservation, BigDecimal actual) {
        while (true) {
            State s = state.get();
            if (!s.periodStart().equals(reservation.periodStart())) return;
            State next = new State(s.periodStart(), s.spent().add(actual), s.reserved().subtract(reservation.amount()), s.alerted());
            if (state.compareAndSet(s, next)) return;
        }
    }

    /** Gives a reservation back unspent (the call failed before it cost anything). */
    public void release(Reservation reservation) {
        settle(reservation, BigDecimal.ZERO);
    }

    /**
     * Marks as alerted, and returns, the thresholds (percent of {@code limit}) that settled spend has reached and
     * that were not yet alerted in this period; {@code exhausted} counts as having reached 100%. Each threshold is
     * returned to exactly one caller per period.
     */
    public List<Integer> claimThresholds(List<Integer> thresholds, BigDecimal limit, boolean exhausted) {
        BigDecimal[] amounts = thresholdAmounts(thresholds, limit);
        while (true) {
            State s = state.get();
            int mask = s.alerted();
            List<Integer> crossed = List.of();
            for (int i = 0; i < thresholds.size(); i++) {
                if ((mask & (1 << i)) != 0) continue;
                int percent = thresholds.get(i);
                boolean reached = (exhausted && percent == 100)
                        || (amounts == null ? reached(s.spent(), limit, percent) : s.spent().compareTo(amounts[i]) >= 0);
                if (reached) {
                    mask |= 1 << i;
                    if (crossed.isEmpty()) crossed = new ArrayList<>(2);
                    crossed.add(percent);
                }
            }
            if (crossed.isEmpty()) return crossed;
            if (state.compareAndSet(s, new State(s.periodStart(), s.spent(), s.reserved(), mask))) return crossed;
        }
    }

    /** The dollar amount of each threshold of one limit, kept while the thresholds and the limit stay the same objects. */
    private record ThresholdAmounts(List<Integer> thresholds, BigDecimal limit, BigDecimal[] amounts) {
    }

    /** Computed again only when the limit changes (admin API); settling checks the thresholds of every call. */
    private volatile ThresholdAmounts thresholdAmounts;

    /** percent% of {@code limit} per threshold, exactly (spent ≥ it ⇔ spent × 100 ≥ limit × percent); null for a zero limit. */
    private BigDecimal[] thresholdAmounts(List<Integer> thresholds, BigDecimal limit) {
        if (limit.signum() == 0) return null;
        ThresholdAmounts t = thresholdAmounts;
        if (t != null && t.thresholds() == thresholds && t.limit() == limit) return t.amounts();
        BigDecimal[] amounts = new BigDecimal[thresholds.size()];
        for (int i = 0; i < amounts.length; i++) amounts[i] = limit.multiply(BigDecimal.valueOf(thresholds.get(i))).movePointLeft(2);
        thresholdAmounts = new ThresholdAmounts(thresholds, limit, amounts);
        return amounts;
    }

    /** The bit of {@link State#alerted} that says a refusal was alerted this period (thresholds use at most bits 0–30). */
    public static final int REFUSAL_BIT = 1 << 31;

    /** Marks a refusal as alerted in this period; true for exactly one caller per period. */
    public boolean claimRefusal() {
        while (true) {
            State s = state.get();
            if ((s.alerted() & REFUSAL_BIT) != 0) return false;
            if (state.compareAndSet(s, new State(s.periodStart(), s.spent(), s.reserved(), s.alerted() | REFUSAL_BIT))) return true;
        }
    }

    /** spent ≥ percent% of limit, exactly: spent × 100 ≥ limit × percent. */
    static boolean reached(BigDecimal spent, BigDecimal limit, int percent) {
        if (limit.signum() == 0) return spent.signum() > 0 || percent == 0;
        return spent.movePointRight(2).compareTo(limit.multiply(BigDecimal.valueOf(percent))) >= 0;
    }
}
