package dev.tollgate.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.time.Duration;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The PostgreSQL database a group of replicas shares: a connection pool whose connections work in one schema,
 * migrated to the current version when it opens. Every replica may open it at once: Flyway takes a lock while
 * it migrates, so the first one migrates and the others find the schema current.
 *
 * <p>Migrations live in {@code db/postgres} on the class path, numbered by area: {@code V1}–{@code V49} the
 * ledger, {@code V50}–{@code V99} the control plane (keys, budgets, alerts).
 */
public final class PgDatabase implements AutoCloseable {

    public static final String DEFAULT_SCHEMA = "tollgate";
    /** How long start-up waits for the database, and a query for a pooled connection, unless configured. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** HikariCP's least connection timeout: below it, it waits its default of 30 s instead. */
    public static final Duration LEAST_CONNECT_TIMEOUT = Duration.ofMillis(250);

    private final HikariDataSource pool;
    private final String schema;

    private PgDatabase(HikariDataSource pool, String schema) {
        this.pool = pool;
        this.schema = schema;
    }

    /**
     * Opens the pool and migrates {@code schema} (created if missing).
     *
     * @param url {@code postgres://user:password@host:port/db}, {@code postgresql://…} or a JDBC URL
     */
    public static PgDatabase open(String url, String schema, int poolSize) {
        return open(url, schema, poolSize, DEFAULT_CONNECT_TIMEOUT);
    }

    /**
     * As {@link #open(String, String, int)}, waiting {@code connectTimeout} (at least {@link #LEAST_CONNECT_TIMEOUT})
     * for a database that does not answer, at start and for each pooled connection.
     */
    public static PgDatabase open(String url, String schema, int poolSize, Duration connectTimeout) {
        if (connectTimeout.compareTo(LEAST_CONNECT_TIMEOUT) < 0) {
            throw new IllegalArgumentException("connect timeout " + connectTimeout.toMillis() + " ms: at least "
                    + LEAST_CONNECT_TIMEOUT.toMillis() + " ms");
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl(url));
        config.setSchema(schema);
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("tollgate-postgres");
        // fail fast at start rather than wait the default 30 s for a database that is not there
        config.setConnectionTimeout(connectTimeout.toMillis());
        config.setInitializationFailTimeout(connectTimeout.toMillis());
        HikariDataSource pool = new HikariDataSource(config);
        try {
            Flyway.configure()
                    .dataSource(pool)
                    .schemas(schema)
                    .createSchemas(true)
                    .locations("classpath:db/postgres")
                    // the ledger's versions (V1-V49) and the control plane's (V50-V99) are independent series: a
                    // database already at V50 still takes a later ledger version such as V2
                    .outOfOrder(true)
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        return new PgDatabase(pool, schema);
    }

    /**
     * The JDBC form of a PostgreSQL URL. {@code postgres://user:secret@host/db} is how operators and other tools
     * write it; the driver wants {@code jdbc:postgresql://host/db?user=…&password=…}.
     */
    static String jdbcUrl(String url) {
        if (url.startsWith("jdbc:postgresql:")) return url;
        String rest;
        if (url.startsWith("postgres://")) rest = url.substring("postgres://".length());
        else if (url.startsWith("postgresql://")) rest = url.substring("postgresql://".length());
        else throw new IllegalArgumentException("not a PostgreSQL URL: expected postgres://host/db or jdbc:postgresql://host/db");
        int at = rest.lastIndexOf('@', rest.indexOf('/') < 0 ? rest.length() : rest.indexOf('/'));
        if (at < 0) return "jdbc:postgresql://" + rest;
        String userInfo = rest.substring(0, at);
        String hostAndDb = rest.substring(at + 1);
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(hostAndDb)
                .append(hostAndDb.contains("?") ? '&' : '?').append("user=").append(user);
        if (colon >= 0) jdbc.append("&password=").append(userInfo.substring(colon + 1));
        return jdbc.toString();
    }

    /** Binds one row's parameters of a batched statement. */
    @FunctionalInterface
    public interface RowBinder<T> {
        void bind(java.sql.PreparedStatement p, T row) throws SQLException;
    }

    /** Runs {@code sql} once per row, as one batch in one transaction, rolled back if any row fails. */
    public <T> void insertBatch(String sql, java.util.List<T> rows, RowBinder<T> binder) throws SQLException {
        try (Connection c = connection()) {
            c.setAutoCommit(false);
            try (java.sql.PreparedStatement p = c.prepareStatement(sql)) {
                for (T row : rows) {
                    binder.bind(p, row);
                    p.addBatch();
                }
                p.executeBatch();
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    public Connection connection() throws SQLException {
        return pool.getConnection();
    }

    public DataSource dataSource() {
        return pool;
    }

    public String schema() {
        return schema;
    }

    @Override
    public void close() {
        pool.close();
    }
}
