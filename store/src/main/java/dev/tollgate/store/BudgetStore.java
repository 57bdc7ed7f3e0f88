package dev.tollgate.store;

import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.budget.Budget;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Budgets and virtual keys changed at run time (the admin API) and the alerts that fired, kept across restarts: in the
 * ledger's DuckDB file for one gateway, in PostgreSQL for a group of replicas ({@code PgControlStore}). Calls block
 * (JDBC): never call them from an event loop.
 */
public interface BudgetStore extends AutoCloseable {

    /** Budgets created or changed through the admin API; they win over the config's budgets of the same name. */
    List<Budget> budgets();

    /** Names of budgets deleted through the admin API, so a budget from the config stays deleted after a restart. */
    Set<String> deleted();

    void save(Budget budget);

    void delete(String name);

    void record(Alert alert);

    /**
     * Records {@code alert} unless the same alert (same subject, kind and threshold) was already recorded for the same
     * period, by this process or by any replica sharing this store; returns whether this call recorded it, i.e. whether
     * the caller is the one that sends it. An alert without a {@code period_start} detail is always recorded.
     */
    boolean claim(Alert alert);

    /** The latest alerts, newest first. */
    List<Alert> alerts(int limit);

    /** Alerts fired at or after {@code since}, oldest first. */
    List<Alert> alertsSince(Instant since);

    /** Virtual keys created through the admin API and not revoked, by name. */
    List<StoredKey> keys();

    /**
     * Names revoked through the admin API (whether the key came from the admin API or the config), so that a revoked
     * config key stays revoked after a restart.
     */
    Set<String> revokedKeys();

    /**
     * Creates a key, or re-creates one that was revoked; false (nothing changed) when a key of that name is active.
     * Replicas racing to create the same name: one wins.
     */
    boolean createKey(StoredKey key);

    /** Revokes the key of this name (it may come from the config, which this store does not know). */
    void revokeKey(String name);

    /**
     * Calls {@code onChange} on a thread of the store's when budgets or keys may have been changed by another process
     * sharing this store, and periodically as a safety net; the callee re-reads what it needs. A store that only one
     * process uses never calls it.
     */
    default void watch(Runnable onChange) {
    }

    /** Stops watching; closes what the store opened itself (never the ledger it lives in). */
    @Override
    default void close() {
    }

    /**
     * What makes an alert the same alert for {@link #claim}: its kind and threshold (with its subject and
     * {@code period_start}); null for an alert that has no period, which is never deduplicated. Spend anomalies and
     * runaway keys carry the block of their detector's pause between alerts as their period, so replicas that each
     * see the same spike send it once.
     */
    static String claimKey(Alert alert) {
        if (alert.details().get("period_start") == null) return null;
        String threshold = alert.details().get("threshold_percent");
        return threshold == null ? alert.kind() : alert.kind() + ":" + threshold;
    }

    /** Whether {@code a} and {@code b} are the same alert in the sense of {@link #claim}. */
    static boolean sameClaim(Alert a, Alert b) {
        String key = claimKey(a);
        return key != null && key.equals(claimKey(b)) && a.subject().equals(b.subject())
                && Objects.equals(a.details().get("period_start"), b.details().get("period_start"));
    }

    /** Keeps everything in memory only: for ledgers that are not DuckDB (tests, benchmarks). */
    static BudgetStore inMemory() {
        return new InMemoryBudgetStore();
    }
}
