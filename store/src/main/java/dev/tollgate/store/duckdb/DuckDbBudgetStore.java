package dev.tollgate.store.duckdb;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.Period;
import dev.tollgate.core.budget.Scope;
import dev.tollgate.store.BudgetStore;
import dev.tollgate.store.StoredKey;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Budgets, alerts (schema version 4) and virtual keys (16) in the ledger's DuckDB file. A deleted budget stays as a row marked
 * {@code deleted}, so a budget that came from the config does not come back at the next start. Times are UTC
 * {@code TIMESTAMP}s, as in {@code requests}. Every call runs on its own duplicate of the ledger's connection under
 * the ledger's read lock ({@link DuckDbLedger#read}, which guards against closing, not against writing), beside the
 * ledger's writer: they touch different tables. Writes are refused with a {@link dev.tollgate.store.StorageFullException}
 * while the disk is under {@code ledger.min_free_mb} free ({@link DuckDbLedger#write}).
 */
final class DuckDbBudgetStore implements BudgetStore {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() { };

    private final DuckDbLedger db;

    DuckDbBudgetStore(DuckDbLedger db) {
        this.db = db;
    }

    @Override
    public List<Budget> budgets() {
        return db.read(conn -> {
            List<Budget> out = new ArrayList<>();
            try (PreparedStatement p = conn.prepareStatement("""
                    SELECT name, scope, period, limit_usd, action, downgrade_to, thresholds, time_zone
                    FROM budgets WHERE NOT deleted ORDER BY name""");
                 ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    List<Integer> thresholds = Arrays.stream(rs.getString(7).split(",")).filter(s -> !s.isBlank())
                            .map(Integer::valueOf).toList();
                    out.add(new Budget(rs.getString(1), Scope.parse(rs.getString(2)), Period.parse(rs.getString(3)),
                            rs.getBigDecimal(4).stripTrailingZeros(), Budget.Action.parse(rs.getString(5)), rs.getString(6),
                            thresholds, ZoneId.of(rs.getString(8))));
                }
            }
            return out;
        });
    }

    @Override
    public Set<String> deleted() {
        return db.read(conn -> {
            Set<String> out = new HashSet<>();
            try (PreparedStatement p = conn.prepareStatement("SELECT name FROM budgets WHERE deleted");
                 ResultSet rs = p.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
            return out;
        });
    }

    @Override
    public void save(Budget b) {
        db.write("budget '" + b.name() + "'", conn -> {
            try (PreparedStatement p = conn.prepareStatement(
                    "INSERT OR REPLACE INTO budgets VALUES (?, ?, ?, ?, ?, ?, ?, ?, false, ?)")) {
                p.setString(1, b.name());
                p.setString(2, b.scope().toString());
                p.setString(3, b.period().label());
                p.setBigDecimal(4, b.limitUsd());
                p.setString(5, b.action().label());
                p.setString(6, b.downgradeTo());
                p.setString(7, b.thresholds().stream().map(String::valueOf).collect(Collectors.joining(",")));
                p.setString(8, b.zone().getId());
                p.setTimestamp(9, utc(Instant.now()));
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void delete(String name) {
        db.write("the deletion of budget '" + name + "'", conn -> {
            try (PreparedStatement p = conn.prepareStatement(
                    "INSERT OR REPLACE INTO budgets VALUES (?, 'org', 'lifetime', 0, 'block', NULL, '', 'UTC', true, ?)")) {
                p.setString(1, name);
                p.setTimestamp(2, utc(Instant.now()));
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void record(Alert alert) {
        db.write("the alert", conn -> {
            try (PreparedStatement p = conn.prepareStatement("INSERT INTO alerts VALUES (?, ?, ?, ?, ?)")) {
                p.setTimestamp(1, utc(alert.time()));
                p.setString(2, alert.kind());
                p.setString(3, alert.subject());
                p.setString(4, alert.message());
                p.setString(5, JSON.writeValueAsString(alert.details()));
                p.executeUpdate();
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new SQLException("cannot write alert details", e);
            }
            return null;
        });
    }

    /** One process owns the file: a lock is enough to make the check and the insert one step. */
    @Override
    public synchronized boolean claim(Alert alert) {
        if (BudgetStore.claimKey(alert) != null) {
            Instant periodStart = Instant.parse(alert.details().get("period_start"));
            if (alertsSince(periodStart.minus(java.time.Duration.ofDays(1))).stream().anyMatch(a -> BudgetStore.sameClaim(a, alert))) {
                return false;
            }
        }
        record(alert);
        return true;
    }

    @Override
    public List<StoredKey> keys() {
        return db.read(conn -> {
            List<StoredKey> out = new ArrayList<>();
            try (PreparedStatement p = conn.prepareStatement(
                    "SELECT name, key_sha256, tags, created_at FROM virtual_keys WHERE revoked_at IS NULL ORDER BY name");
                 ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(new StoredKey(rs.getString(1), rs.getString(2), tags(rs.getString(3)),
                            rs.getTimestamp(4).toLocalDateTime().toInstant(ZoneOffset.UTC)));
                }
            }
            return out;
        });
    }

    @Override
    public Set<String> revokedKeys() {
        return db.read(conn -> {
            Set<String> out = new HashSet<>();
            try (PreparedStatement p = conn.prepareStatement("SELECT name FROM virtual_keys WHERE revoked_at IS NOT NULL");
                 ResultSet rs = p.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
            return out;
        });
    }

    @Override
    public synchronized boolean createKey(StoredKey key) {
        if (keys().stream().anyMatch(k -> k.name().equals(key.name()))) return false;
        db.read(conn -> {
            try (PreparedStatement p = conn.prepareStatement("INSERT OR REPLACE INTO virtual_keys VALUES (?, ?, ?, ?, NULL)")) {
                p.setString(1, key.name());
                p.setString(2, key.keyHash());
                p.setString(3, JSON.writeValueAsString(key.tags()));
                p.setTimestamp(4, utc(key.createdAt()));
                p.executeUpdate();
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new SQLException("cannot write key tags", e);
            }
            return null;
        });
        return true;
    }

    /** The row keeps the name only: a revoked key's hash is of no further use. */
    @Override
    public synchronized void revokeKey(String name) {
        db.read(conn -> {
            try (PreparedStatement p = conn.prepareStatement("INSERT OR REPLACE INTO virtual_keys VALUES (?, '', '{}', ?, ?)")) {
                Timestamp now = utc(Instant.now());
                p.setString(1, name);
                p.setTimestamp(2, now);
                p.setTimestamp(3, now);
                p.executeUpdate();
            }
            return null;
        });
    }

    private static Map<String, String> tags(String json) {
        try {
            return JSON.readValue(json, STRING_MAP);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return Map.of();
        }
    }

    @Override
    public List<Alert> alerts(int limit) {
        return query("SELECT time, kind, subject, message, details FROM alerts ORDER BY time DESC, rowid DESC LIMIT ?",
                p -> p.setInt(1, limit));
    }

    @Override
    public List<Alert> alertsSince(Instant since) {
        return query("SELECT time, kind, subject, message, details FROM alerts WHERE time >= ? ORDER BY time, rowid",
                p -> p.setTimestamp(1, utc(since)));
    }

    private interface Binder {
        void bind(PreparedStatement p) throws SQLException;
    }

    private List<Alert> query(String sql, Binder binder) {
        return db.read(conn -> {
            List<Alert> out = new ArrayList<>();
            try (PreparedStatement p = conn.prepareStatement(sql)) {
                binder.bind(p);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        Map<String, String> details;
                        try {
                            details = JSON.readValue(rs.getString(5), STRING_MAP);
                        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                            details = Map.of();
                        }
                        out.add(new Alert(rs.getTimestamp(1).toLocalDateTime().toInstant(ZoneOffset.UTC),
                                rs.getString(2), rs.getString(3), rs.getString(4), details));
                    }
                }
            }
            return out;
        });
    }

    private static Timestamp utc(Instant at) {
        return Timestamp.valueOf(LocalDateTime.ofInstant(at, ZoneOffset.UTC));
    }
}
