package dev.tollgate.app;

import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.duckdb.LedgerOptions;
import dev.tollgate.store.postgres.PgDatabase;
import dev.tollgate.store.postgres.PgLedger;

import java.nio.file.Path;

/**
 * The ledger a group of replicas shares ({@code ledger.type: postgres}): the database (pool and migrations) and the
 * ledger on it, with this replica's journal (its spool while PostgreSQL is unreachable) in the data directory.
 * Closing closes the ledger first (writing what is queued), then the pool.
 */
record SharedLedger(PgDatabase database, PgLedger ledger) implements AutoCloseable {

    static SharedLedger open(GatewayConfig.Postgres postgres, LedgerOptions options, Path dataDir) {
        PgDatabase db;
        try {
            db = PgDatabase.open(postgres.url(), postgres.schema(), postgres.poolSize(), postgres.connectTimeout());
        } catch (RuntimeException e) {
            throw new UserError("cannot open the shared ledger at " + redacted(postgres.url()) + " (schema "
                    + postgres.schema() + "): " + rootMessage(e), e);
        }
        // the embedded ledger's journal directory: rows left there by either store are written here, once
        Path journal = options.journalDir() != null ? options.journalDir() : dataDir.resolve(DuckDbLedger.JOURNAL_DIR);
        return new SharedLedger(db, PgLedger.open(db, journal, options));
    }

    /** The URL without its password, for messages. */
    static String redacted(String url) {
        return url.replaceAll("(://[^:/@]+):[^@/]*@", "$1:***@").replaceAll("(password=)[^&]*", "$1***");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return String.valueOf(t.getMessage()).lines().findFirst().orElse("");
    }

    /** Where the ledger is, for the start-up line. */
    String where() {
        return "PostgreSQL schema " + database.schema();
    }

    @Override
    public void close() {
        ledger.close();
        database.close();
    }
}
