package dev.tollgate.store.duckdb;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The ledger's rollups: request count and {@link #SUMS} per period and combination of key columns, in five tables
 * ({@link Table}) of decreasing detail, so that a breakdown reads the smallest one that has its dimensions.
 *
 * <p><b>Sealed hours.</b> The rollups cover exactly the raw rows with {@code time < sealed_until} (table
 * {@code rollup_state}; NULL: none yet), an hour boundary. The writer keeps raw rows only for the open hour and
 * rolls an hour up in SQL once its newest row is {@link #GRACE} past the hour's end ({@link #seal}): one vectorised
 * GROUP BY per hour instead of a second append per row, and no DELETE, so no vacuum. A day is rolled up from its
 * hours once its last hour is sealed. A row that arrives for a sealed hour (a request that ran longer than the
 * grace) re-rolls its hour and day in the same transaction as the row ({@link #reseal}). Readers answer
 * {@code [.., sealed_until)} from rollups and the rest from raw rows ({@link SpendSql}); since every commit keeps
 * the rule, and {@code sealed_until} only grows, a reader may use any value it read earlier.
 *
 * <p><b>Key columns.</b> hour or day × virtual key × api × provider × deployment × requested model × served model ×
 * price version × HTTP status, and depending on the table: the tag set (an id into {@code tag_sets}, the canonical
 * JSON: names sorted, {@link #RAW_ONLY_TAGS} removed; {@code tag_values} lists each set's (name, value) pairs), one
 * tag's (name, value), or no tags. {@code decision} names one workflow run and is as unique as a request id, so it
 * stays on raw rows only. Missing strings are stored as {@code ''} and read back as NULL.
 *
 * <p><b>Counts.</b> {@code requests} counts client requests (a request's standing row: no {@code attempt_reason}),
 * {@code attempts} every row (schema 17; see {@link #COUNTS}).
 *
 * <p><b>Adding a summed column</b> (as {@code saved_usd} from the cache was): add one line to {@link #SUMS} and a
 * migration adding the column to every rollup table; sealing and spend queries are generated from that list.
 */
final class Rollup {

    /** A column summed per rollup row, and whether it is money. */
    record Sum(String column, boolean money) {
        String sqlType() {
            return money ? "DECIMAL(38,12)" : "BIGINT";
        }
    }

    static final List<Sum> SUMS = List.of(new Sum("input_tokens", false), new Sum("cached_input_tokens", false),
            new Sum("cache_write_5m_tokens", false), new Sum("cache_write_1h_tokens", false),
            new Sum("output_tokens", false), new Sum("reasoning_tokens", false), new Sum("cost_usd", true),
            new Sum("saved_usd", true));

    /** The hourly rollup's key after {@code hour}, in table order (schema version 3). */
    static final List<String> KEY_COLUMNS = List.of("key_name", "tag_set", "api", "provider", "deployment",
            "requested_model", "served_model", "price_version", "status");

    /** The key columns every rollup table has, after its period. */
    static final String BASE_COLUMNS = "key_name, api, provider, deployment, requested_model, served_model, price_version, status";

    /** Tags too fine-grained to roll up: they stay on raw rows only. */
    static final List<String> RAW_ONLY_TAGS = List.of("decision");

    /** How long after an hour's end its rows may still arrive before it is sealed. */
    static final long GRACE_MICROS = 15 * 60 * 1_000_000L;
    static final long HOUR_MICROS = 3_600_000_000L;
    static final long DAY_MICROS = 24 * HOUR_MICROS;

    private static final String SUM_LIST = SUMS.stream().map(Sum::column).collect(Collectors.joining(", "));
    private static final String SUM_OF = SUMS.stream().map(s -> "sum(" + s.column() + ")").collect(Collectors.joining(", "));
    private static final String SUM_COLUMNS_DDL = SUMS.stream().map(s -> s.column() + " " + s.sqlType() + " NOT NULL")
            .collect(Collectors.joining(", "));
    private static final String BASE_DDL = """
            key_name VARCHAR NOT NULL, api VARCHAR NOT NULL, provider VARCHAR NOT NULL, deployment VARCHAR NOT NULL,
            requested_model VARCHAR NOT NULL, served_model VARCHAR NOT NULL, price_version VARCHAR NOT NULL,
            status INTEGER NOT NULL""";

    /**
     * The rollup tables: name, period column, and what of the tags they keep. {@code rollup_hourly} (schema 3) is
     * filled from raw rows; each other one from a more detailed table.
     */
    enum Table {
        HOURLY("rollup_hourly", "hour", Tags.SET),
        HOURLY_BASE("rollup_hourly_base", "hour", Tags.NONE),
        DAILY("rollup_daily", "day", Tags.SET),
        DAILY_BASE("rollup_daily_base", "day", Tags.NONE),
        /** One row per tag name seen that day: the group's value of it, NULL for groups without it. */
        DAILY_TAG("rollup_daily_tag", "day", Tags.ONE);

        final String name;
        final String period;
        final Tags tags;

        Table(String name, String period, Tags tags) {
            this.name = name;
            this.period = period;
            this.tags = tags;
        }

        boolean daily() {
            return period.equals("day");
        }

        /** The columns after the period that the table keys on. */
        String keys() {
            return switch (tags) {
                case SET -> BASE_COLUMNS + ", tag_set";
                case NONE -> BASE_COLUMNS;
                case ONE -> BASE_COLUMNS + ", name, value";
            };
        }
    }

    enum Tags { SET, NONE, ONE }

    private Rollup() {
    }

    /** Statements of the schema migration that creates the rollup and fills it from the rows already there. */
    static List<String> migration() {
        String columns = """
                hour TIMESTAMP NOT NULL, key_name VARCHAR NOT NULL, tag_set INTEGER NOT NULL, api VARCHAR NOT NULL,
                provider VARCHAR NOT NULL, deployment VARCHAR NOT NULL, requested_model VARCHAR NOT NULL,
                served_model VARCHAR NOT NULL, price_version VARCHAR NOT NULL, status INTEGER NOT NULL,
                requests BIGINT NOT NULL,
                """ + SUMS.stream().map(s -> s.column() + " " + s.sqlType() + " NOT NULL").collect(Collectors.joining(",\n"));
        return List.of(
                "CREATE TABLE tag_sets (id INTEGER NOT NULL, tags VARCHAR NOT NULL)",
                "CREATE TABLE tag_values (tag_set INTEGER NOT NULL, name VARCHAR NOT NULL, value VARCHAR NOT NULL)",
                "CREATE TABLE rollup_hourly (" + columns + ")",
                "CREATE TABLE rollup_compaction (" + columns + ")",
                // backfill: the tag sets of the rows already written, then their sums per hour
                "INSERT INTO tag_sets SELECT row_number() OVER (ORDER BY tags) - 1, tags FROM (SELECT DISTINCT "
                        + canonicalTagsSql("tags") + " AS tags FROM requests)",
                "INSERT INTO tag_values SELECT id, unnest(map_keys(m)), unnest(map_values(m)) FROM "
                        + "(SELECT id, CAST(CAST(tags AS JSON) AS MAP(VARCHAR, VARCHAR)) AS m FROM tag_sets)",
                "INSERT INTO rollup_hourly SELECT date_trunc('hour', r.time), coalesce(r.key_name, ''), s.id, "
                        + "coalesce(r.api, ''), coalesce(r.provider, ''), coalesce(r.deployment, ''), "
                        + "coalesce(r.requested_model, ''), coalesce(r.served_model, ''), coalesce(r.price_version, ''), "
                        + "r.status, count(*), " + SUMS.stream().map(s -> "sum(r." + s.column() + ")").collect(Collectors.joining(", "))
                        + " FROM requests r JOIN tag_sets s ON s.tags = " + canonicalTagsSql("r.tags") + " GROUP BY ALL");
    }

    /**
     * Schema version 6: sealed hours instead of per-batch partial rows. The existing hourly rollup (which covers every
     * raw row) keeps its whole hours before the newest row's hour; tag sets written twice by the old writer are merged
     * into one id; the coarser tables are filled from it.
     */
    static List<String> sealedMigration() {
        String dupes = "(SELECT id, min(id) OVER (PARTITION BY tags) AS keep FROM tag_sets)";
        List<String> out = new ArrayList<>(List.of(
                "DROP TABLE rollup_compaction",
                "UPDATE rollup_hourly SET tag_set = d.keep FROM " + dupes + " d WHERE rollup_hourly.tag_set = d.id AND d.id <> d.keep",
                "DELETE FROM tag_values WHERE tag_set IN (SELECT id FROM " + dupes + " WHERE id <> keep)",
                "DELETE FROM tag_sets WHERE id IN (SELECT id FROM " + dupes + " WHERE id <> keep)",
                "CREATE TABLE rollup_state (sealed_until TIMESTAMP)",
                "INSERT INTO rollup_state SELECT date_trunc('hour', max(time)) FROM requests",
                "DELETE FROM rollup_hourly WHERE hour >= (SELECT max(sealed_until) FROM rollup_state)"));
        for (Table t : Table.values()) {
            if (t == Table.HOURLY) continue;
            String keys = switch (t.tags) {
                case SET -> BASE_DDL + ", tag_set INTEGER NOT NULL";
                case NONE -> BASE_DDL;
                case ONE -> BASE_DDL + ", name VARCHAR NOT NULL, value VARCHAR";
            };
            out.add("CREATE TABLE " + t.name + " (" + t.period + " TIMESTAMP NOT NULL, " + keys
                    + ", requests BIGINT NOT NULL, " + SUM_COLUMNS_DDL + ")");
        }
        // the tag names each sealed day has in rollup_daily_tag: which days lack a tag altogether, without scanning it
        out.add("CREATE TABLE rollup_daily_names (day TIMESTAMP NOT NULL, name VARCHAR NOT NULL)");
        out.add(rollUpHours(Table.HOURLY_BASE, "true", COUNTS_V6));
        String days = "hour < date_trunc('day', (SELECT max(sealed_until) FROM rollup_state))";
        out.add(rollUpHours(Table.DAILY, days, COUNTS_V6));
        out.add(rollUpDays(Table.DAILY_BASE, "true", COUNTS_V6));
        out.add(rollUpDays(Table.DAILY_TAG, "true", COUNTS_V6));
        out.add(dailyNames("true"));
        return out;
    }

    /**
     * Schema version 17: client requests and attempts counted apart. Every rollup table gets {@code attempts}, and the
     * sealed hours are rolled up again from the raw rows (all kept), so that {@code requests} counts client requests
     * there too: since version 13 a request's retries, fallbacks and escalations are rows of their own.
     */
    static List<String> attemptsMigration() {
        List<String> out = new ArrayList<>();
        for (Table t : Table.values()) out.add("ALTER TABLE " + t.name + " ADD COLUMN attempts BIGINT DEFAULT 0");
        for (Table t : Table.values()) out.add("DELETE FROM " + t.name);
        out.add("DELETE FROM rollup_daily_names");
        String sealed = "(SELECT max(sealed_until) FROM rollup_state)";
        out.add("INSERT INTO rollup_hourly (hour, " + Table.HOURLY.keys() + ", " + COUNTS + ", " + SUM_LIST + ") SELECT "
                + "date_trunc('hour', r.time), coalesce(r.key_name, ''), coalesce(r.api, ''), coalesce(r.provider, ''), "
                + "coalesce(r.deployment, ''), coalesce(r.requested_model, ''), coalesce(r.served_model, ''), "
                + "coalesce(r.price_version, ''), r.status, s.id, " + RAW_COUNTS + ", "
                + SUMS.stream().map(x -> "sum(r." + x.column() + ")").collect(Collectors.joining(", "))
                + " FROM requests r JOIN tag_sets s ON s.tags = " + canonicalTagsSql("r.tags")
                + " WHERE r.time < " + sealed + " GROUP BY ALL");
        out.add(rollUpHours(Table.HOURLY_BASE, "true"));
        out.add(rollUpHours(Table.DAILY, "hour < date_trunc('day', " + sealed + ")"));
        out.add(rollUpDays(Table.DAILY_BASE, "true"));
        out.add(rollUpDays(Table.DAILY_TAG, "true"));
        out.add(dailyNames("true"));
        return out;
    }

    /** {@link #COUNTS} over raw rows {@code r}: the rows whose attempt stands, and all of them. */
    static final String RAW_COUNTS = "count(*) FILTER (WHERE r.attempt_reason IS NULL), count(*)";

    /** SQL turning a raw row's tags JSON into the rollup's: sorted names, raw-only tags removed. */
    static String canonicalTagsSql(String column) {
        String excluded = RAW_ONLY_TAGS.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", "));
        return "to_json(map_from_entries(list_sort(list_filter(map_entries(CAST(CAST(" + column
                + " AS JSON) AS MAP(VARCHAR, VARCHAR))), lambda e: e.key NOT IN (" + excluded + ")))))::VARCHAR";
    }

    /**
     * The count columns of every rollup table: {@code requests} (client requests: rows whose attempt stands, that is
     * has no {@code attempt_reason}) and, from schema version 17, {@code attempts} (every row: retries, fallbacks and
     * a cascade's escalated answers included). Before it, the tables had {@code requests} alone, counting rows.
     */
    static final String COUNTS = "requests, attempts";
    private static final String COUNTS_V6 = "requests";

    private static String sumsOf(String counts, String prefix) {
        return java.util.Arrays.stream(counts.split(", ")).map(c -> "sum(" + prefix + c + ")").collect(Collectors.joining(", "));
    }

    /** INSERT into {@code to} (hourly base or daily) from {@code rollup_hourly} rows matching {@code where}. */
    private static String rollUpHours(Table to, String where) {
        return rollUpHours(to, where, COUNTS);
    }

    private static String rollUpHours(Table to, String where, String counts) {
        String period = to.daily() ? "date_trunc('day', hour)" : "hour";
        return "INSERT INTO " + to.name + " (" + to.period + ", " + to.keys() + ", " + counts + ", " + SUM_LIST + ") SELECT "
                + period + ", " + to.keys() + ", " + sumsOf(counts, "") + ", " + SUM_OF + " FROM rollup_hourly WHERE " + where
                + " GROUP BY ALL";
    }

    /** INSERT into a daily table (base or one tag) from {@code rollup_daily} rows matching {@code where}. */
    private static String rollUpDays(Table to, String where) {
        return rollUpDays(to, where, COUNTS);
    }

    private static String rollUpDays(Table to, String where, String counts) {
        if (to.tags == Tags.NONE) {
            return "INSERT INTO " + to.name + " (day, " + to.keys() + ", " + counts + ", " + SUM_LIST + ") SELECT day, "
                    + BASE_COLUMNS + ", " + sumsOf(counts, "") + ", " + SUM_OF + " FROM rollup_daily WHERE " + where + " GROUP BY ALL";
        }
        // every (day, tag name) pair seen, crossed with every group of that day: the group's value or NULL
        String base = BASE_COLUMNS.replaceAll("(\\w+)", "r.$1");
        return "INSERT INTO rollup_daily_tag (day, " + to.keys() + ", " + counts + ", " + SUM_LIST + ") SELECT r.day, " + base
                + ", n.name, v.value, " + sumsOf(counts, "r.") + ", " + SUMS.stream().map(s -> "sum(r." + s.column() + ")").collect(Collectors.joining(", "))
                + " FROM (SELECT * FROM rollup_daily WHERE " + where + ") r"
                + " JOIN (SELECT DISTINCT d.day, tv.name FROM (SELECT DISTINCT day, tag_set FROM rollup_daily WHERE " + where
                + ") d JOIN tag_values tv USING (tag_set)) n ON n.day = r.day"
                + " LEFT JOIN tag_values v ON v.tag_set = r.tag_set AND v.name = n.name GROUP BY ALL";
    }

    private static String dailyNames(String where) {
        return "INSERT INTO rollup_daily_names SELECT DISTINCT day, name FROM rollup_daily_tag WHERE " + where;
    }

    /** The rollups' watermark: rows before it are rolled up; null when none are. */
    static Instant sealedUntil(Connection conn) throws SQLException {
        try (Statement s = conn.createStatement();
             ResultSet rs = s.executeQuery("SELECT epoch_us(max(sealed_until)) FROM rollup_state")) {
            if (!rs.next()) return null;
            long us = rs.getLong(1);
            return rs.wasNull() ? null : micros(us);
        }
    }

    /** The hour boundary up to which rows may be sealed once the newest row is at {@code newestMicros}. */
    static long sealTarget(long newestMicros) {
        return Math.floorDiv(newestMicros - GRACE_MICROS, HOUR_MICROS) * HOUR_MICROS;
    }

    /**
     * Rolls up the raw rows of {@code [from, to)} (hour boundaries; {@code from} null: from the first row) into
     * every table, the days that thereby became whole included, and moves the watermark to {@code to}, in the
     * caller's transaction. {@code from} must be the current watermark.
     */
    static void seal(Connection conn, Instant from, Instant to) throws SQLException {
        try (Statement s = conn.createStatement()) {
            rollUpRaw(s, from, to);
            Instant dayFrom = from == null ? null : from.truncatedTo(ChronoUnit.DAYS);
            Instant dayTo = to.truncatedTo(ChronoUnit.DAYS);
            if (dayFrom == null || dayFrom.isBefore(dayTo)) rollUpDays(s, dayFrom, dayTo);
            // appended, never updated: an UPDATE makes the commit pay for a vacuum
            s.executeUpdate("INSERT INTO rollup_state VALUES (make_timestamp(" + LedgerWriter.epochMicros(to) + "::BIGINT))");
        }
    }

    /**
     * Rolls up again the sealed hours in {@code hours} (epoch micros of hour starts) and their whole days, after rows
     * for them were appended in the caller's transaction. Appenders must be closed first (they may not span a
     * DELETE). Consecutive hours (and days) are rolled up as one range: the statements group by hour (day) anyway,
     * and late rows usually come as a run (a journal replayed after an outage), so a few statements do it.
     */
    static void reseal(Connection conn, java.util.SortedSet<Long> hours, Instant sealedUntil) throws SQLException {
        long wholeDays = LedgerWriter.epochMicros(sealedUntil.truncatedTo(ChronoUnit.DAYS));
        java.util.TreeSet<Long> days = new java.util.TreeSet<>();
        for (long h : hours) if (h < wholeDays) days.add(Math.floorDiv(h, DAY_MICROS) * DAY_MICROS);
        try (Statement s = conn.createStatement()) {
            for (long[] run : runs(hours, HOUR_MICROS)) {
                Instant from = micros(run[0]);
                Instant to = micros(run[1]);
                for (Table t : Table.values()) {
                    if (!t.daily()) s.executeUpdate("DELETE FROM " + t.name + " WHERE " + range("hour", from, to));
                }
                rollUpRaw(s, from, to);
            }
            for (long[] run : runs(days, DAY_MICROS)) {
                Instant from = micros(run[0]);
                Instant to = micros(run[1]);
                for (Table t : Table.values()) {
                    if (t.daily()) s.executeUpdate("DELETE FROM " + t.name + " WHERE " + range("day", from, to));
                }
                s.executeUpdate("DELETE FROM rollup_daily_names WHERE " + range("day", from, to));
                rollUpDays(s, from, to);
            }
        }
    }

    /** The starts of consecutive {@code step}-long periods as [from, to) ranges: {0, 1, 2, 5} hours → [0, 3), [5, 6). */
    static List<long[]> runs(java.util.SortedSet<Long> starts, long step) {
        List<long[]> out = new ArrayList<>();
        for (long start : starts) {
            long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last[1] == start) last[1] = start + step;
            else out.add(new long[] {start, start + step});
        }
        return out;
    }

    /** Raw rows of {@code [from, to)} into rollup_hourly (new tag sets first) and rollup_hourly_base. */
    private static void rollUpRaw(Statement s, Instant from, Instant to) throws SQLException {
        // the hour's distinct tags texts and their canonical form (a subquery, not a temp table: DDL makes commits slow)
        String sealTags = "(SELECT raw, " + canonicalTagsSql("raw") + " AS tags FROM (SELECT DISTINCT tags AS raw FROM requests WHERE "
                + range("time", from, to) + "))";
        long next;
        try (ResultSet rs = s.executeQuery("SELECT coalesce(max(id) + 1, 0) FROM tag_sets")) {
            rs.next();
            next = rs.getLong(1);
        }
        int added = s.executeUpdate("INSERT INTO tag_sets SELECT " + next + " + row_number() OVER (ORDER BY tags) - 1, tags"
                + " FROM (SELECT DISTINCT tags FROM " + sealTags + " WHERE tags NOT IN (SELECT tags FROM tag_sets))");
        if (added > 0) {
            s.executeUpdate("INSERT INTO tag_values SELECT id, unnest(map_keys(m)), unnest(map_values(m)) FROM "
                    + "(SELECT id, CAST(CAST(tags AS JSON) AS MAP(VARCHAR, VARCHAR)) AS m FROM tag_sets WHERE id >= " + next + ")");
        }
        s.executeUpdate("INSERT INTO rollup_hourly (hour, " + Table.HOURLY.keys() + ", " + COUNTS + ", " + SUM_LIST + ") SELECT "
                + "date_trunc('hour', r.time), coalesce(r.key_name, ''), coalesce(r.api, ''), coalesce(r.provider, ''), "
                + "coalesce(r.deployment, ''), coalesce(r.requested_model, ''), coalesce(r.served_model, ''), "
                + "coalesce(r.price_version, ''), r.status, i.id, " + RAW_COUNTS + ", "
                + SUMS.stream().map(x -> "sum(r." + x.column() + ")").collect(Collectors.joining(", "))
                + " FROM requests r JOIN (SELECT raw, id FROM " + sealTags + " JOIN tag_sets USING (tags)) i ON i.raw = r.tags"
                + " WHERE " + range("r.time", from, to) + " GROUP BY ALL");
        s.executeUpdate(rollUpHours(Table.HOURLY_BASE, range("hour", from, to)));
    }

    /** The whole days {@code [from, to)} from rollup_hourly into the daily tables. */
    private static void rollUpDays(Statement s, Instant from, Instant to) throws SQLException {
        s.executeUpdate(rollUpHours(Table.DAILY, range("hour", from, to)));
        s.executeUpdate(rollUpDays(Table.DAILY_BASE, range("day", from, to)));
        s.executeUpdate(rollUpDays(Table.DAILY_TAG, range("day", from, to)));
        s.executeUpdate(dailyNames(range("day", from, to)));
    }

    /** {@code column} within {@code [from, to)}, as literals (the writer's own values, never user input). */
    static String range(String column, Instant from, Instant to) {
        String lower = from == null ? "true" : column + " >= make_timestamp(" + LedgerWriter.epochMicros(from) + "::BIGINT)";
        return lower + (to == null ? "" : " AND " + column + " < make_timestamp(" + LedgerWriter.epochMicros(to) + "::BIGINT)");
    }

    static Instant micros(long us) {
        return Instant.ofEpochSecond(Math.floorDiv(us, 1_000_000L), Math.floorMod(us, 1_000_000L) * 1_000L);
    }
}
