package dev.tollgate.store.postgres;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgDatabaseTest {

    @Test
    void operatorUrlsBecomeJdbcUrls() {
        assertThat(PgDatabase.jdbcUrl("postgres://app:s3cret@db.internal:5432/tollgate"))
                .isEqualTo("jdbc:postgresql://db.internal:5432/tollgate?user=app&password=s3cret");
        assertThat(PgDatabase.jdbcUrl("postgresql://app@db/tollgate?sslmode=require"))
                .isEqualTo("jdbc:postgresql://db/tollgate?sslmode=require&user=app");
        assertThat(PgDatabase.jdbcUrl("postgres://db/tollgate")).isEqualTo("jdbc:postgresql://db/tollgate");
        assertThat(PgDatabase.jdbcUrl("jdbc:postgresql://db/x")).isEqualTo("jdbc:postgresql://db/x");
        assertThatThrownBy(() -> PgDatabase.jdbcUrl("mysql://db/x")).hasMessageContaining("not a PostgreSQL URL");
    }

    @Test
    void opensAPoolWorkingInItsOwnMigratedSchema() throws Exception {
        try (PgFixture pg = new PgFixture(); PgDatabase db = pg.open()) {
            try (Connection c = db.connection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT current_schema(), count(*) FROM flyway_schema_history")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(pg.schema);
            }
            // a second replica opening the same schema finds it current and migrates nothing
            try (PgDatabase again = pg.open()) {
                assertThat(again.schema()).isEqualTo(pg.schema);
            }
        }
    }
}
