package dev.tollgate.store.postgres;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The PostgreSQL at 127.0.0.1:5432, database {@code test} (as in CI), seen through a schema of its own so tests
 * running side by side never meet; {@link #close} drops the schema.
 */
public final class PgFixture implements AutoCloseable {

    public static final String URL = "postgres://postgres@127.0.0.1:5432/test";

    public final String schema = "t_" + UUID.randomUUID().toString().replace("-", "");

    /** Skips the calling test, with a message, where no PostgreSQL answers (except under CI, which starts one). */
    public PgFixture() {
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress("127.0.0.1", 5432), 1000);
        } catch (IOException e) {
            String missing = "the PostgreSQL tests need a PostgreSQL on 127.0.0.1:5432 with a database `test` (" + e.getMessage() + ")";
            if ("true".equals(System.getenv("CI"))) throw new IllegalStateException(missing);
            Assumptions.abort("skipped: " + missing);
        }
    }

    /** A migrated database in this fixture's schema. */
    public PgDatabase open() {
        return PgDatabase.open(URL, schema, 4);
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = DriverManager.getConnection(PgDatabase.jdbcUrl(URL)); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
