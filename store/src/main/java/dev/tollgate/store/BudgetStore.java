package dev.tollgate.store;

import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.budget.Budget;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * Budgets changed at run time and the alerts that fired, kept across restarts. Calls block (JDBC): never call them
 * from an event loop.
 */
public interface BudgetStore {

    /** Budgets created or changed through the admin API; they win over the config's budgets of the same name. */
    List<Budget> budgets();

    /** Names of budgets deleted through the admin API, so a budget from the config stays deleted after a restart. */
    Set<String> deleted();

    void save(Budget budget);

    void delete(String name);

    void record(Alert alert);

    /** The latest alerts, newest first. */
    List<Alert> alerts(int limit);

    /** Alerts fired at or after {@code since}, oldest first. */
    List<Alert> alertsSince(Instant since);

    /** Keeps everything in memory only: for ledgers that are not DuckDB (tests, benchmarks). */
    static BudgetStore inMemory() {
        return new InMemoryBudgetStore();
    }
}
