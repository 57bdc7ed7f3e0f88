package dev.tollgate.gateway.budget;

import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.BudgetAccount;
import dev.tollgate.core.budget.Period;

import io.netty.util.AsciiString;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The budgets in force and their accounts. Reads (every request) see an immutable list; changes (admin API, start-up)
 * replace it under a lock. Changing a budget's limit, action or thresholds keeps what it has spent; changing its
 * scope, period or time zone starts a new account.
 */
public final class BudgetBook {

    /** One budget and what it has spent in its current period. */
    public static final class Entry {
        private final Budget budget;
        private final BudgetAccount account;
        /** The budget's name as the value of {@code x-tollgate-budget} (names are ASCII by rule). */
        private final AsciiString nameHeader;
        private volatile Period.Window window;
        /** With shared counters (Redis): the state Redis last reported, which the local account does not hold. */
        private volatile BudgetAccount.State shared;

        Entry(Budget budget, BudgetAccount account, Period.Window window) {
            this.budget = budget;
            this.account = account;
            this.nameHeader = AsciiString.cached(budget.name());
            this.window = window;
        }

        public Budget budget() {
            return budget;
        }

        public BudgetAccount account() {
            return account;
        }

        public AsciiString nameHeader() {
            return nameHeader;
        }

        /** The period containing {@code now}; entering a new one starts the account over. */
        public Period.Window window(Instant now) {
            Period.Window w = window;
            if (w.contains(now)) return w;
            Period.Window next = budget.period().window(now, budget.zone());
            if (next.start().isAfter(w.start())) {
                account.rollTo(next.start());
                window = next;
                return next;
            }
            return w; // a request that arrived just before a roll-over another thread already made
        }

        /** Spent and reserved in the current period: the shared counters' last report if there are any, else the account's. */
        public BudgetAccount.State state() {
            BudgetAccount.State s = shared;
            if (s == null) return account.state();
            return s.periodStart().equals(window.start()) ? s : new BudgetAccount.State(window.start(), BigDecimal.ZERO, BigDecimal.ZERO, 0);
        }

        /** Records what the shared counters report for the period starting at {@code periodStart}. */
        public void observe(Instant periodStart, BigDecimal spent, BigDecimal reserved) {
            shared = new BudgetAccount.State(periodStart, spent, reserved, 0);
        }

        /** What is left to reserve now (never negative). */
        public BigDecimal remaining() {
            BigDecimal left = budget.limitUsd().subtract(state().committed());
            return left.signum() < 0 ? BigDecimal.ZERO : left;
        }
    }

    private volatile List<Entry> entries = List.of();

    public List<Entry> entries() {
        return entries;
    }

    public Optional<Entry> find(String name) {
        return entries.stream().filter(e -> e.budget.name().equals(name)).findFirst();
    }

    /** The budgets a request by this key with these tags counts against, each rolled to the period of {@code now}. */
    public List<Entry> applicable(String keyName, Map<String, String> tags, Instant now) {
        List<Entry> all = entries;
        List<Entry> out = null;
        for (Entry e : all) {
            if (!e.budget.scope().matches(keyName, tags)) continue;
            e.window(now);
            if (out == null) out = new ArrayList<>(all.size()); // room for all: growing past 4 copied the list per request
            out.add(e);
        }
        return out == null ? List.of() : out;
    }

    /**
     * Adds or replaces a budget. {@code spent} and {@code alerted} (a bit per threshold) are its state in the period
     * containing {@code now}, as loaded from the ledger; they are ignored when an existing account is kept.
     */
    public synchronized Entry put(Budget budget, BigDecimal spent, int alerted, Instant now) {
        List<Entry> next = new ArrayList<>(entries);
        Entry old = null;
        for (Entry e : next) if (e.budget.name().equals(budget.name())) old = e;
        Entry entry;
        if (old != null && sameAccount(old.budget, budget)) {
            entry = new Entry(budget, old.account, old.window);
            entry.shared = old.shared;
        } else {
            Period.Window w = budget.period().window(now, budget.zone());
            entry = new Entry(budget, new BudgetAccount(w.start(), spent, alerted), w);
        }
        if (old != null) next.set(next.indexOf(old), entry);
        else next.add(entry);
        entries = List.copyOf(next);
        return entry;
    }

    public synchronized boolean remove(String name) {
        List<Entry> next = new ArrayList<>(entries);
        boolean removed = next.removeIf(e -> e.budget.name().equals(name));
        entries = List.copyOf(next);
        return removed;
    }

    /** Whether {@code next} can keep {@code old}'s account: the same spend counts against it in the same periods. */
    static boolean sameAccount(Budget old, Budget next) {
        return old.scope().equals(next.scope()) && old.period() == next.period() && old.zone().equals(next.zone())
                && old.thresholds().equals(next.thresholds());
    }
}
