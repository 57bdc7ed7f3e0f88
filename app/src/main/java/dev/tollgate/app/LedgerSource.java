package dev.tollgate.app;

import dev.tollgate.store.Ledger;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.postgres.PgDatabase;
import dev.tollgate.store.postgres.PgLedger;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * {@code --ledger URL}: a reading command reads the ledger replicas share in PostgreSQL directly (issue 16), with no
 * single-writer limit: any number of readers beside the replicas that write it. Without it the command reads the
 * ledger file in {@code --data}, or, while a gateway holds that file, asks the gateway.
 */
public final class LedgerSource {

    @Option(names = "--ledger", paramLabel = "URL",
            description = "Read the ledger replicas share in PostgreSQL directly (postgres://user:password@host:5432/db) instead of --data.")
    String url;

    @Option(names = "--ledger-schema", paramLabel = "SCHEMA", defaultValue = PgDatabase.DEFAULT_SCHEMA,
            description = "The PostgreSQL schema of --ledger (ledger.schema; default: ${DEFAULT-VALUE}).")
    String schema = PgDatabase.DEFAULT_SCHEMA;

    /** Reads the shared ledger at {@code url} (tests; the command line sets the fields). */
    public static LedgerSource shared(String url, String schema) {
        LedgerSource s = new LedgerSource();
        s.url = url;
        s.schema = schema;
        return s;
    }

    /** Whether {@code --ledger} was given. */
    public boolean shared() {
        return url != null && !url.isBlank();
    }

    /** The shared ledger's database and a ledger that only reads it; closing closes both. */
    public record Shared(PgDatabase database, PgLedger ledger) implements AutoCloseable {
        @Override
        public void close() {
            ledger.close();
            database.close();
        }

        /** Where the numbers came from, for a command's notes. */
        public String where() {
            return "PostgreSQL schema " + database.schema();
        }
    }

    /** Opens the shared ledger (migrating it to this version's schema if it is older); a failure says where, in one line. */
    public Shared open() {
        try {
            PgDatabase db = PgDatabase.open(url, schema, 2);
            return new Shared(db, PgLedger.reader(db));
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot read the shared ledger at " + SharedLedger.redacted(url) + " (schema "
                    + schema + "): " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
    }

    /** Work on a ledger; it may throw what the command reports. */
    @FunctionalInterface
    public interface Read<T> {
        T apply(Ledger ledger) throws Exception;
    }

    /**
     * {@code read} on the shared ledger when {@code --ledger} was given, else on the file in {@code dataDir} when no
     * process holds it, else {@code remote} (the gateway that holds it, through its admin API).
     */
    public <T> T read(Path dataDir, Read<T> read, Supplier<T> remote) throws Exception {
        if (shared()) {
            try (Shared s = open()) {
                return read.apply(s.ledger());
            }
        }
        if (Files.exists(dataDir.resolve(DuckDbLedger.FILE_NAME))) {
            try (DuckDbLedger ledger = DuckDbLedger.open(dataDir)) {
                return read.apply(ledger);
            } catch (IllegalStateException e) {
                // another process (a running gateway) holds the file: ask it
                if (e.getMessage() == null || !e.getMessage().toLowerCase(Locale.ROOT).contains("lock")) throw e;
            }
        }
        return remote.get();
    }
}
