package dev.tollgate.store.duckdb;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The ledger's schema as an ordered list of migrations, recorded in {@code schema_version} so that a database
 * written by an older build is brought up to date on open, and reopening applies nothing twice.
 *
 * <p>To change the schema, append a migration with the next version; never edit one that has shipped.
 * {@link LedgerWriter} appends values in table column order, so a migration that adds a column to
 * {@code requests} must be matched by a change to the writer.
 *
 * <p>{@code time} is a {@code TIMESTAMP} holding UTC (not {@code TIMESTAMPTZ}), so that day and hour buckets never
 * depend on the session's time zone. {@code cost_usd} is {@code DECIMAL(38,12)}: exact, with twelve decimal places
 * (a millionth of a millionth of a dollar). {@code ttft_us} is NULL when there was no first byte. {@code tags} is a
 * JSON object of strings ({@code {}} when none), read with {@code json_extract_string}; JSON text rather than a
 * {@code MAP(VARCHAR, VARCHAR)} because DuckDB's Java Appender writes maps about five times slower than strings.
 *
 * <p>Version 3 adds the hourly rollup ({@code rollup_hourly}, {@code tag_sets}, {@code tag_values}, filled from the
 * rows already there; see {@link Rollup}) and {@code outcomes} (whether a request or decision succeeded).
 * Version 6 rolls up whole hours once they are sealed instead of every batch, and adds daily and tagless rollups
 * ({@code rollup_state}, {@code rollup_hourly_base}, {@code rollup_daily}, {@code rollup_daily_base},
 * {@code rollup_daily_tag}, {@code rollup_daily_names}), filled from the hourly rollup already there.
 */
final class LedgerSchema {

    private static final Logger log = LoggerFactory.getLogger(LedgerSchema.class);

    /** One schema step: its statements run in a single transaction together with its version row. */
    record Migration(int version, String description, List<String> statements) {
    }

    static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "requests table", List.of("""
                    CREATE TABLE requests (
                        time                  TIMESTAMP NOT NULL,
                        request_id            VARCHAR,
                        key_name              VARCHAR,
                        tags                  VARCHAR NOT NULL,
                        api                   VARCHAR,
                        provider              VARCHAR,
                        deployment            VARCHAR,
                        requested_model       VARCHAR,
                        served_model          VARCHAR,
                        input_tokens          BIGINT NOT NULL,
                        cached_input_tokens   BIGINT NOT NULL,
                        cache_write_5m_tokens BIGINT NOT NULL,
                        cache_write_1h_tokens BIGINT NOT NULL,
                        output_tokens         BIGINT NOT NULL,
                        reasoning_tokens      BIGINT NOT NULL,
                        cost_usd              DECIMAL(38,12) NOT NULL,
                        price_version         VARCHAR,
                        status                INTEGER NOT NULL,
                        error                 VARCHAR,
                        latency_us            BIGINT NOT NULL,
                        ttft_us               BIGINT,
                        stream                BOOLEAN NOT NULL,
                        estimated             BOOLEAN NOT NULL
                    )""")),
            // Answers served again by the response cache, coalescing or an idempotency window: cache is NULL for a
            // provider call, else hit/coalesced/idempotent. DuckDB cannot add a NOT NULL column, so saved_usd has a
            // default (older rows read 0) and the writer never writes NULL.
            new Migration(2, "cache outcome and saved cost", List.of(
                    "ALTER TABLE requests ADD COLUMN cache VARCHAR",
                    "ALTER TABLE requests ADD COLUMN saved_usd DECIMAL(38,12) DEFAULT 0")),
            new Migration(3, "hourly rollup and outcomes", concat(Rollup.migration(), List.of("""
                    CREATE TABLE outcomes (
                        time       TIMESTAMP NOT NULL,
                        request_id VARCHAR,
                        decision   VARCHAR,
                        success    BOOLEAN NOT NULL,
                        value_usd  DECIMAL(38,12)
                    )"""))),
            new Migration(4, "budgets and alerts tables", List.of("""
                    CREATE TABLE budgets (
                        name         VARCHAR PRIMARY KEY,
                        scope        VARCHAR NOT NULL,
                        period       VARCHAR NOT NULL,
                        limit_usd    DECIMAL(38,12) NOT NULL,
                        action       VARCHAR NOT NULL,
                        downgrade_to VARCHAR,
                        thresholds   VARCHAR NOT NULL,
                        time_zone    VARCHAR NOT NULL,
                        deleted      BOOLEAN NOT NULL,
                        updated_at   TIMESTAMP NOT NULL
                    )""", """
                    CREATE TABLE alerts (
                        time    TIMESTAMP NOT NULL,
                        kind    VARCHAR NOT NULL,
                        subject VARCHAR NOT NULL,
                        message VARCHAR NOT NULL,
                        details VARCHAR NOT NULL
                    )""")),
            // issue 5, prompt audit: the opt-in prompt log (redacted), joined to requests by request_id
            new Migration(5, "prompts table", List.of("""
                    CREATE TABLE prompts (
                        time           TIMESTAMP NOT NULL,
                        request_id     VARCHAR NOT NULL,
                        key_name       VARCHAR,
                        tags           VARCHAR NOT NULL,
                        api            VARCHAR,
                        model          VARCHAR,
                        system_prompt  VARCHAR,
                        messages       VARCHAR NOT NULL,
                        max_tokens     BIGINT,
                        system_tokens  BIGINT NOT NULL,
                        history_tokens BIGINT NOT NULL,
                        user_tokens    BIGINT NOT NULL,
                        sample_rate    DOUBLE NOT NULL
                    )""")),
            // issue 5, speed: rollups of sealed hours (no per-batch partial rows), daily and tagless tables
            new Migration(6, "sealed hourly and daily rollups", Rollup.sealedMigration()),
            // issue 14, budgets: a call whose model has no price is metered at 0 and says so (older rows read false)
            new Migration(7, "unpriced flag", List.of("ALTER TABLE requests ADD COLUMN unpriced BOOLEAN DEFAULT false")),
            // issue 13, routes: one row per attempt of a request (retries and fallbacks share the request id); older
            // rows were each a request's only attempt, hence the default 1
            new Migration(13, "attempts of a request", List.of(
                    "ALTER TABLE requests ADD COLUMN attempt INTEGER DEFAULT 1",
                    "ALTER TABLE requests ADD COLUMN attempt_reason VARCHAR",
                    "ALTER TABLE requests ADD COLUMN upstream_model VARCHAR")),
            // issue 13, shadow mode: the client's answer and a candidate's to the same request, redacted, for scoring
            new Migration(14, "shadow answers", List.of("""
                    CREATE TABLE shadow_answers (
                        time                TIMESTAMP NOT NULL,
                        request_id          VARCHAR NOT NULL,
                        route               VARCHAR NOT NULL,
                        candidate           VARCHAR NOT NULL,
                        api                 VARCHAR,
                        prompt              VARCHAR,
                        production_model    VARCHAR,
                        production_answer   VARCHAR,
                        production_cost_usd DECIMAL(38,12) NOT NULL,
                        production_ms       BIGINT NOT NULL,
                        candidate_answer    VARCHAR,
                        candidate_cost_usd  DECIMAL(38,12) NOT NULL,
                        candidate_ms        BIGINT NOT NULL,
                        candidate_error     VARCHAR
                    )""")),
            // issue 16, control plane: virtual keys created through the admin API (a revoked one keeps its row, so a
            // revoked config key stays revoked); only the secret's SHA-256 is kept
            new Migration(16, "virtual keys", List.of("""
                    CREATE TABLE virtual_keys (
                        name       VARCHAR PRIMARY KEY,
                        key_sha256 VARCHAR NOT NULL,
                        tags       VARCHAR NOT NULL,
                        created_at TIMESTAMP NOT NULL,
                        revoked_at TIMESTAMP
                    )""")),
            // issue 13, eval over the prompt log: the answer the client got, the reference a candidate is scored against
            new Migration(17, "answers in the prompt log", List.of("ALTER TABLE prompts ADD COLUMN answer VARCHAR")),
            // issue 13, reports: rollups count client requests and attempts apart (sealed hours rolled up again)
            new Migration(18, "requests and attempts counted apart", Rollup.attemptsMigration()));

    /** The version this build writes; a database with a higher one is refused. */
    static final int LATEST = MIGRATIONS.getLast().version();

    private LedgerSchema() {
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    /** Applies every migration the database lacks; returns the version it ends at. */
    static int migrate(Connection conn) throws SQLException {
        return migrate(conn, MIGRATIONS);
    }

    /**
     * Applies each of {@code migrations} not yet recorded, in order. Versions are numbered per feature and may be
     * merged out of order (4 before 2), so a database that already has 4 still gets 2 when a build brings it.
     */
    static int migrate(Connection conn, List<Migration> migrations) throws SQLException {
        try (Statement s = conn.createStatement()) {
            s.execute("""
                    CREATE TABLE IF NOT EXISTS schema_version (
                        version     INTEGER PRIMARY KEY,
                        description VARCHAR NOT NULL,
                        applied_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
                    )""");
        }
        int current = currentVersion(conn);
        int latest = migrations.getLast().version();
        if (current > latest) {
            throw new IllegalStateException("the ledger's schema version " + current
                    + " is newer than this build understands (" + latest + "); use a newer Tollgate");
        }
        Set<Integer> applied = new HashSet<>();
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT version FROM schema_version")) {
            while (rs.next()) applied.add(rs.getInt(1));
        }
        boolean fresh = applied.isEmpty();
        for (Migration m : migrations) {
            if (applied.contains(m.version())) continue;
            apply(conn, m);
            // an upgrade says what changed; a new ledger is simply created at the latest version
            if (fresh) log.debug("ledger schema created at version {} ({})", m.version(), m.description());
            else log.info("ledger schema migrated to version {} ({})", m.version(), m.description());
            current = Math.max(current, m.version());
        }
        if (fresh) log.info("new ledger created at schema version {}", current);
        return current;
    }

    static int currentVersion(Connection conn) throws SQLException {
        try (Statement s = conn.createStatement();
             ResultSet rs = s.executeQuery("SELECT coalesce(max(version), 0) FROM schema_version")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void apply(Connection conn, Migration m) throws SQLException {
        boolean auto = conn.getAutoCommit();
        conn.setAutoCommit(false);
        try {
            try (Statement s = conn.createStatement()) {
                for (String sql : m.statements()) s.execute(sql);
            }
            try (PreparedStatement p = conn.prepareStatement(
                    "INSERT INTO schema_version (version, description) VALUES (?, ?)")) {
                p.setInt(1, m.version());
                p.setString(2, m.description());
                p.executeUpdate();
            }
            conn.commit();
        } catch (SQLException | RuntimeException e) {
            conn.rollback();
            throw e;
        } finally {
            conn.setAutoCommit(auto);
        }
    }
}
