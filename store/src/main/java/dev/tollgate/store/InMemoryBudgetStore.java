package dev.tollgate.store;

import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.budget.Budget;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link BudgetStore} that forgets everything when the process ends. */
final class InMemoryBudgetStore implements BudgetStore {

    private final Map<String, Budget> budgets = new LinkedHashMap<>();
    private final Set<String> deleted = ConcurrentHashMap.newKeySet();
    private final List<Alert> alerts = new ArrayList<>();
    private final Map<String, StoredKey> keys = new LinkedHashMap<>();
    private final Set<String> revokedKeys = new java.util.HashSet<>();

    @Override
    public synchronized List<Budget> budgets() {
        return List.copyOf(budgets.values());
    }

    @Override
    public Set<String> deleted() {
        return Set.copyOf(deleted);
    }

    @Override
    public synchronized void save(Budget budget) {
        budgets.put(budget.name(), budget);
        deleted.remove(budget.name());
    }

    @Override
    public synchronized void delete(String name) {
        budgets.remove(name);
        deleted.add(name);
    }

    @Override
    public synchronized void record(Alert alert) {
        alerts.add(alert);
    }

    @Override
    public synchronized boolean claim(Alert alert) {
        if (alerts.stream().anyMatch(a -> BudgetStore.sameClaim(a, alert))) return false;
        alerts.add(alert);
        return true;
    }

    @Override
    public synchronized List<StoredKey> keys() {
        return List.copyOf(keys.values());
    }

    @Override
    public synchronized Set<String> revokedKeys() {
        return Set.copyOf(revokedKeys);
    }

    @Override
    public synchronized boolean createKey(StoredKey key) {
        if (keys.containsKey(key.name())) return false;
        keys.put(key.name(), key);
        revokedKeys.remove(key.name());
        return true;
    }

    @Override
    public synchronized void revokeKey(String name) {
        keys.remove(name);
        revokedKeys.add(name);
    }

    @Override
    public synchronized List<Alert> alerts(int limit) {
        List<Alert> out = new ArrayList<>();
        for (int i = alerts.size() - 1; i >= 0 && out.size() < limit; i--) out.add(alerts.get(i));
        return out;
    }

    @Override
    public synchronized List<Alert> alertsSince(Instant since) {
        return alerts.stream().filter(a -> !a.time().isBefore(since)).toList();
    }
}
