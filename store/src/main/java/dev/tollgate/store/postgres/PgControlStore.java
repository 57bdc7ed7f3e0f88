package dev.tollgate.store.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.Period;
import dev.tollgate.core.budget.Scope;
import dev.tollgate.store.BudgetStore;
import dev.tollgate.store.StoredKey;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The control plane of a group of replicas in PostgreSQL: budgets and virtual keys changed through any replica's admin
 * API, and the alerts that fired, claimed once per period for the whole group (a unique index and
 * {@code INSERT … ON CONFLICT DO NOTHING}: the replica whose insert lands sends the alert).
 *
 * <p>Every change is announced with {@code NOTIFY} on a channel named after the schema; {@link #watch} listens on a
 * connection of its own (not one of the pool's), reconnects with backoff when it drops, and also calls back every
 * {@code fullReloadEvery} and after each reconnect, so a notification lost while disconnected is caught up.
 */
public final class PgControlStore implements BudgetStore {

    private static final Logger log = LoggerFactory.getLogger(PgControlStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() { };
    /** How long one wait for notifications lasts: the longest a close waits for the listener. */
    private static final int POLL_MS = 250;

    private final PgDatabase db;
    private final boolean ownsDatabase;
    private final String channel;
    private final Duration fullReloadEvery;
    private volatile boolean closed;
    private Thread listener;

    /**
     * A store in {@code db}, which the caller keeps and closes.
     *
     * @param fullReloadEvery how often the watcher calls back even without a notification
     */
    public PgControlStore(PgDatabase db, Duration fullReloadEvery) {
        this(db, false, fullReloadEvery);
    }

    private PgControlStore(PgDatabase db, boolean ownsDatabase, Duration fullReloadEvery) {
        this.db = db;
        this.ownsDatabase = ownsDatabase;
        this.channel = "tollgate_control_" + db.schema();
        this.fullReloadEvery = fullReloadEvery;
    }

    /** How often a replica reloads budgets and keys even when no notification came: the most a lost one costs. */
    public static final Duration FULL_RELOAD_EVERY = Duration.ofSeconds(30);

    /** Opens (and migrates) the database as well; {@link #close} closes it. */
    public static PgControlStore open(String url, String schema, int poolSize, Duration connectTimeout) {
        return new PgControlStore(PgDatabase.open(url, schema, poolSize, connectTimeout), true, FULL_RELOAD_EVERY);
    }

    // ---- budgets

    @Override
    public List<Budget> budgets() {
        return query("""
                SELECT name, scope, period, limit_usd, action, downgrade_to, thresholds, time_zone
                FROM control_budgets WHERE NOT deleted ORDER BY name""", p -> { }, rs -> {
            List<Integer> thresholds = Arrays.stream(rs.getString(7).split(",")).filter(s -> !s.isBlank())
                    .map(Integer::valueOf).toList();
            return new Budget(rs.getString(1), Scope.parse(rs.getString(2)), Period.parse(rs.getString(3)),
                    rs.getBigDecimal(4).stripTrailingZeros(), Budget.Action.parse(rs.getString(5)), rs.getString(6),
                    thresholds, ZoneId.of(rs.getString(8)));
        });
    }

    @Override
    public Set<String> deleted() {
        return new HashSet<>(query("SELECT name FROM control_budgets WHERE deleted", p -> { }, rs -> rs.getString(1)));
    }

    @Override
    public void save(Budget b) {
        change("budget", b.name(), """
                INSERT INTO control_budgets VALUES (?, ?, ?, ?, ?, ?, ?, ?, false, now())
                ON CONFLICT (name) DO UPDATE SET scope = EXCLUDED.scope, period = EXCLUDED.period,
                    limit_usd = EXCLUDED.limit_usd, action = EXCLUDED.action, downgrade_to = EXCLUDED.downgrade_to,
                    thresholds = EXCLUDED.thresholds, time_zone = EXCLUDED.time_zone, deleted = false, updated_at = now()""", p -> {
            p.setString(1, b.name());
            p.setString(2, b.scope().toString());
            p.setString(3, b.period().label());
            p.setBigDecimal(4, b.limitUsd());
            p.setString(5, b.action().label());
            p.setString(6, b.downgradeTo());
            p.setString(7, b.thresholds().stream().map(String::valueOf).collect(Collectors.joining(",")));
            p.setString(8, b.zone().getId());
        });
    }

    @Override
    public void delete(String name) {
        change("budget", name, """
                INSERT INTO control_budgets VALUES (?, 'org', 'lifetime', 0, 'block', NULL, '', 'UTC', true, now())
                ON CONFLICT (name) DO UPDATE SET deleted = true, updated_at = now()""", p -> p.setString(1, name));
    }

    // ---- alerts

    @Override
    public void record(Alert alert) {
        insertAlert(alert, false);
    }

    @Override
    public boolean claim(Alert alert) {
        return insertAlert(alert, true);
    }

    private boolean insertAlert(Alert alert, boolean once) {
        String claim = once ? BudgetStore.claimKey(alert) : null;
        return update("""
                INSERT INTO control_alerts (time, kind, subject, message, details, claim, period_start)
                VALUES (?, ?, ?, ?, ?::jsonb, ?, ?) ON CONFLICT DO NOTHING""", p -> {
            p.setObject(1, OffsetDateTime.ofInstant(alert.time(), ZoneOffset.UTC));
            p.setString(2, alert.kind());
            p.setString(3, alert.subject());
            p.setString(4, alert.message());
            p.setString(5, json(alert.details()));
            p.setString(6, claim);
            p.setString(7, claim == null ? null : alert.details().get("period_start"));
        }) == 1;
    }

    @Override
    public List<Alert> alerts(int limit) {
        return query("SELECT time, kind, subject, message, details FROM control_alerts ORDER BY time DESC, id DESC LIMIT ?",
                p -> p.setInt(1, limit), PgControlStore::alert);
    }

    @Override
    public List<Alert> alertsSince(Instant since) {
        return query("SELECT time, kind, subject, message, details FROM control_alerts WHERE time >= ? ORDER BY time, id",
                p -> p.setObject(1, OffsetDateTime.ofInstant(since, ZoneOffset.UTC)), PgControlStore::alert);
    }

    private static Alert alert(ResultSet rs) throws SQLException {
        return new Alert(rs.getObject(1, OffsetDateTime.class).toInstant(), rs.getString(2), rs.getString(3),
                rs.getString(4), map(rs.getString(5)));
    }

    // ---- keys

    @Override
    public List<StoredKey> keys() {
        return query("SELECT name, key_sha256, tags, created_at FROM control_keys WHERE revoked_at IS NULL ORDER BY name",
                p -> { }, rs -> new StoredKey(rs.getString(1), rs.getString(2), map(rs.getString(3)),
                        rs.getObject(4, OffsetDateTime.class).toInstant()));
    }

    @Override
    public Set<String> revokedKeys() {
        return new HashSet<>(query("SELECT name FROM control_keys WHERE revoked_at IS NOT NULL", p -> { }, rs -> rs.getString(1)));
    }

    @Override
    public boolean createKey(StoredKey key) {
        return change("key", key.name(), """
                INSERT INTO control_keys VALUES (?, ?, ?::jsonb, ?, NULL)
                ON CONFLICT (name) DO UPDATE SET key_sha256 = EXCLUDED.key_sha256, tags = EXCLUDED.tags,
                    created_at = EXCLUDED.created_at, revoked_at = NULL
                WHERE control_keys.revoked_at IS NOT NULL""", p -> {
            p.setString(1, key.name());
            p.setString(2, key.keyHash());
            p.setString(3, json(key.tags()));
            p.setObject(4, OffsetDateTime.ofInstant(key.createdAt(), ZoneOffset.UTC));
        }) == 1;
    }

    /** The row keeps the name only: a revoked key's hash is of no further use. */
    @Override
    public void revokeKey(String name) {
        change("key", name, """
                INSERT INTO control_keys VALUES (?, '', '{}'::jsonb, now(), now())
                ON CONFLICT (name) DO UPDATE SET key_sha256 = '', tags = '{}'::jsonb, revoked_at = now()""",
                p -> p.setString(1, name));
    }

    // ---- propagation

    /**
     * Starts the listener and returns once it listens and has called back once (or has failed to connect once, and
     * retries in the background): a change made before it listened has been applied, and one made after is heard.
     */
    @Override
    public synchronized void watch(Runnable onChange) {
        if (listener != null) throw new IllegalStateException("already watched");
        CountDownLatch firstTry = new CountDownLatch(1);
        listener = Thread.ofPlatform().daemon().name("tollgate-control-listener").start(() -> listen(onChange, firstTry));
        try {
            firstTry.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void listen(Runnable onChange, CountDownLatch firstTry) {
        String jdbcUrl;
        try {
            jdbcUrl = db.dataSource().unwrap(HikariDataSource.class).getJdbcUrl();
        } catch (SQLException e) {
            throw new IllegalStateException("the control plane's pool is not HikariCP", e);
        }
        long backoffMs = 100;
        boolean reconnected = false;
        while (!closed) {
            try (Connection conn = DriverManager.getConnection(jdbcUrl, listenerProperties()); Statement s = conn.createStatement()) {
                s.execute("LISTEN \"" + channel.replace("\"", "\"\"") + "\"");
                PGConnection pg = conn.unwrap(PGConnection.class);
                if (reconnected) log.info("control plane: listening again on PostgreSQL; reloading budgets and keys");
                callBack(onChange); // whatever changed before this replica listened
                firstTry.countDown();
                backoffMs = 100;
                long nextReload = System.nanoTime() + fullReloadEvery.toNanos();
                while (!closed) {
                    PGNotification[] notes = pg.getNotifications(POLL_MS);
                    boolean due = System.nanoTime() - nextReload >= 0;
                    if (due && !conn.isValid(2)) throw new SQLException("the listening connection is gone");
                    if ((notes != null && notes.length > 0) || due) {
                        callBack(onChange);
                        nextReload = System.nanoTime() + fullReloadEvery.toNanos();
                    }
                }
            } catch (SQLException e) {
                firstTry.countDown();
                if (closed) return;
                log.warn("control plane: not listening on PostgreSQL ({}); retrying in {} ms", e.getMessage(), backoffMs);
                reconnected = true;
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoffMs = Math.min(backoffMs * 2, 5_000);
            }
        }
    }

    /** The listener's name in {@code pg_stat_activity}: which schema's control plane it listens for. */
    String listenerName() {
        String name = "tollgate-control-" + db.schema();
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    private java.util.Properties listenerProperties() {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("ApplicationName", listenerName());
        return p;
    }

    private static void callBack(Runnable onChange) {
        try {
            onChange.run();
        } catch (RuntimeException e) {
            log.warn("control plane: applying a change failed ({}); the next change or reload tries again", e.getMessage());
        }
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = listener;
        }
        if (t != null) {
            try {
                t.join(POLL_MS * 8L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (ownsDatabase) db.close();
    }

    // ---- JDBC

    private interface Binder {
        void bind(PreparedStatement p) throws SQLException;
    }

    private interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> List<T> query(String sql, Binder binder, Row<T> row) {
        try (Connection c = db.connection(); PreparedStatement p = c.prepareStatement(sql)) {
            binder.bind(p);
            try (ResultSet rs = p.executeQuery()) {
                List<T> out = new ArrayList<>();
                while (rs.next()) out.add(row.read(rs));
                return out;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the control plane's PostgreSQL failed: " + e.getMessage(), e);
        }
    }

    private int update(String sql, Binder binder) {
        try (Connection c = db.connection(); PreparedStatement p = c.prepareStatement(sql)) {
            binder.bind(p);
            return p.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("the control plane's PostgreSQL failed: " + e.getMessage(), e);
        }
    }

    /** Changes a row and, in the same transaction, tells every replica (delivered when it commits). */
    private int change(String what, String name, String sql, Binder binder) {
        try (Connection c = db.connection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement(sql); PreparedStatement notify = c.prepareStatement("SELECT pg_notify(?, ?)")) {
                binder.bind(p);
                int changed = p.executeUpdate();
                if (changed > 0) {
                    notify.setString(1, channel);
                    notify.setString(2, what + ":" + name);
                    notify.execute();
                }
                c.commit();
                return changed;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the control plane's PostgreSQL failed: " + e.getMessage(), e);
        }
    }

    private static String json(Map<String, String> map) {
        try {
            return JSON.writeValueAsString(map);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, String> map(String json) {
        try {
            return JSON.readValue(json, STRING_MAP);
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }
}
