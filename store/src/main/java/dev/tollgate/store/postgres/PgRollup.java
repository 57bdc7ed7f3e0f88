package dev.tollgate.store.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The shared ledger's rollups, with the embedded ledger's rules ({@code duckdb.Rollup}): {@code rollup_hourly} and
 * {@code rollup_daily} cover exactly the raw rows with {@code time < rollup_state.sealed_until}, an hour boundary that
 * only grows; an hour is rolled up once its newest row is {@link #GRACE_MICROS} past its end, a day once its last hour
 * is; a row that arrives for a sealed hour rolls its hour (and day) up again in the transaction that inserts it.
 * Readers answer whole sealed days and hours from the rollups and the rest from raw rows ({@link PgSpendSql}), so their
 * totals equal the raw rows' to the last decimal.
 *
 * <p><b>Several writers.</b> Every replica writes the same tables, so the rules are kept with advisory locks: an insert
 * transaction holds the ledger's lock shared (reading the watermark under it), a seal holds it exclusively, so no row
 * commits into an hour while that hour is being sealed; re-rolling a late hour (and its day) holds that hour's (and
 * day's) own lock, so two replicas never re-roll the same hour at once.
 */
final class PgRollup {

    static final long HOUR_MICROS = 3_600_000_000L;
    static final long DAY_MICROS = 24 * HOUR_MICROS;
    /** How long after an hour's end its rows may still arrive before it is sealed (as the embedded ledger). */
    static final long GRACE_MICROS = 15 * 60 * 1_000_000L;

    private static final String KEYS = "key_name, api, provider, deployment, requested_model, served_model, price_version, status";
    private static final String SUMS = "input_tokens, cached_input_tokens, cache_write_5m_tokens, cache_write_1h_tokens,"
            + " output_tokens, reasoning_tokens, cost_usd, saved_usd";
    private static final String SUM_OF = "sum(input_tokens), sum(cached_input_tokens), sum(cache_write_5m_tokens),"
            + " sum(cache_write_1h_tokens), sum(output_tokens), sum(reasoning_tokens), sum(cost_usd), sum(saved_usd)";
    /**
     * The count columns (V2, as the embedded ledger's {@code Rollup.COUNTS}): {@code requests} counts client requests, a
     * request's standing row (no {@code attempt_reason}); {@code attempts} every row, retries and escalations included.
     */
    private static final String COUNTS = "requests, attempts";
    /** Tags too fine-grained to roll up (as the embedded ledger's RAW_ONLY_TAGS): they stay on raw rows only. */
    static final String RAW_ONLY_TAG = "decision";

    private PgRollup() {
    }

    /** The advisory lock space of one schema, so ledgers in other schemas of the same database never wait on it. */
    static int lockSpace(String schema) {
        return schema.hashCode();
    }

    /** Holds the ledger's lock for this transaction: shared by inserts, exclusive for a seal. */
    static void lockLedger(Connection c, int space, boolean exclusive) throws SQLException {
        lock(c, exclusive ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared", space, 0);
    }

    private static void lock(Connection c, String function, int space, int key) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + function + "(?, ?)")) {
            p.setInt(1, space);
            p.setInt(2, key);
            p.execute();
        }
    }

    /** The watermark: rows before it are rolled up; null when none are. */
    static Instant sealedUntil(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT sealed_until FROM rollup_state")) {
            if (!rs.next()) return null;
            LocalDateTime t = rs.getObject(1, LocalDateTime.class);
            return t == null ? null : t.toInstant(ZoneOffset.UTC);
        }
    }

    /** The hour boundary up to which rows may be sealed once the newest row is at {@code newestMicros}. */
    static long sealTarget(long newestMicros) {
        return Math.floorDiv(newestMicros - GRACE_MICROS, HOUR_MICROS) * HOUR_MICROS;
    }

    /**
     * Rolls up the raw rows of {@code [from, to)} ({@code from} null: from the first row), and the days that thereby
     * became whole, and moves the watermark to {@code to}; in the caller's transaction, which holds the ledger's lock
     * exclusively and read {@code from} under it.
     */
    static void seal(Connection c, Instant from, Instant to) throws SQLException {
        rollUpHours(c, from, to);
        Instant dayFrom = from == null ? null : from.truncatedTo(ChronoUnit.DAYS);
        Instant dayTo = to.truncatedTo(ChronoUnit.DAYS);
        if (dayFrom == null || dayFrom.isBefore(dayTo)) rollUpDays(c, dayFrom, dayTo);
        try (PreparedStatement p = c.prepareStatement("UPDATE rollup_state SET sealed_until = ?")) {
            p.setObject(1, PgLedger.timestamp(to));
            p.executeUpdate();
        }
    }

    /**
     * Rolls up again the sealed hours in {@code hours} (epoch micros of hour starts) and their whole days, after rows
     * for them were inserted in the caller's transaction (which holds the ledger's lock shared).
     */
    static void reseal(Connection c, int space, SortedSet<Long> hours, Instant sealedUntil) throws SQLException {
        long wholeDays = PgLedger.micros(sealedUntil.truncatedTo(ChronoUnit.DAYS));
        TreeSet<Long> days = new TreeSet<>();
        for (long h : hours) if (h < wholeDays) days.add(Math.floorDiv(h, DAY_MICROS) * DAY_MICROS);
        // in one order (hours, then days, each ascending), so two writers never wait on each other in a circle
        for (long h : hours) lock(c, "pg_advisory_xact_lock", space, (int) (h / HOUR_MICROS) + 1);
        for (long d : days) lock(c, "pg_advisory_xact_lock", space, -(int) (d / DAY_MICROS) - 1);
        for (long h : hours) {
            Instant from = PgLedger.instant(h);
            Instant to = from.plus(1, ChronoUnit.HOURS);
            delete(c, "rollup_hourly", "hour", from, to);
            rollUpHours(c, from, to);
        }
        for (long d : days) {
            Instant from = PgLedger.instant(d);
            Instant to = from.plus(1, ChronoUnit.DAYS);
            delete(c, "rollup_daily", "day", from, to);
            rollUpDays(c, from, to);
        }
    }

    private static void delete(Connection c, String table, String period, Instant from, Instant to) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("DELETE FROM " + table + " WHERE " + period + " >= ? AND " + period + " < ?")) {
            p.setObject(1, PgLedger.timestamp(from));
            p.setObject(2, PgLedger.timestamp(to));
            p.executeUpdate();
        }
    }

    private static void rollUpHours(Connection c, Instant from, Instant to) throws SQLException {
        insert(c, "INSERT INTO rollup_hourly (hour, " + KEYS + ", tags, " + COUNTS + ", " + SUMS + ") SELECT date_trunc('hour', time), "
                + KEYS + ", tags - '" + RAW_ONLY_TAG + "', count(*) FILTER (WHERE attempt_reason IS NULL), count(*), " + SUM_OF + " FROM requests WHERE "
                + (from == null ? "" : "time >= ? AND ") + "time < ? GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10", from, to);
    }

    private static void rollUpDays(Connection c, Instant from, Instant to) throws SQLException {
        insert(c, "INSERT INTO rollup_daily (day, " + KEYS + ", tags, " + COUNTS + ", " + SUMS + ") SELECT date_trunc('day', hour), "
                + KEYS + ", tags, sum(requests), sum(attempts), " + SUM_OF + " FROM rollup_hourly WHERE "
                + (from == null ? "" : "hour >= ? AND ") + "hour < ? GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10", from, to);
    }

    private static void insert(Connection c, String sql, Instant from, Instant to) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(sql)) {
            int i = 1;
            if (from != null) p.setObject(i++, PgLedger.timestamp(from));
            p.setObject(i, PgLedger.timestamp(to));
            p.executeUpdate();
        }
    }
}
