package dev.tollgate.app;

import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.postgres.PgDatabase;
import dev.tollgate.store.postgres.PgLedger;
import dev.tollgate.store.postgres.PgLedgerImport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tollgate ledger}: moving the ledger between stores. */
@Command(name = "ledger", mixinStandardHelpOptions = true, description = "Move the ledger between stores.",
        subcommands = {LedgerCommand.Copy.class})
final class LedgerCommand {

    @Command(name = "copy", mixinStandardHelpOptions = true,
            description = {"Copy an embedded ledger (DATA/ledger.duckdb) into the PostgreSQL ledger replicas share.",
                    "Rows already there count once, so a copy may be run again. Prints the totals of both; exits 1 if"
                            + " they differ in any decimal. Stop the gateway that holds the file first."})
    static final class Copy implements Callable<Integer> {

        @Option(names = "--from", required = true, paramLabel = "DATA_DIR", description = "Data directory of the embedded ledger (required).")
        Path from;

        @Option(names = "--to", required = true, paramLabel = "URL", description = "The PostgreSQL to copy into: postgres://user:password@host:5432/db (required).")
        String to;

        @Option(names = "--schema", defaultValue = PgDatabase.DEFAULT_SCHEMA,
                description = "The PostgreSQL schema (ledger.schema; default: ${DEFAULT-VALUE}).")
        String schema;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws SQLException {
            PrintWriter out = spec.commandLine().getOut();
            Path file = from.resolve(DuckDbLedger.FILE_NAME);
            if (!Files.exists(file)) throw new UserError("no embedded ledger at " + file.toAbsolutePath() + " (is --from the data directory?)");
            DuckDbLedger source;
            try {
                source = DuckDbLedger.open(from);
            } catch (IllegalStateException e) {
                throw new UserError(e.getMessage().lines().findFirst().orElse("") + " (stop the gateway that uses "
                        + from + " first)", e);
            }
            try (source; PgDatabase db = open(to, schema); PgLedgerImport target = new PgLedgerImport(db)) {
                Instant[] span = {null, null};
                source.forEach(e -> {
                    if (span[0] == null) span[0] = e.time();
                    span[1] = e.time();
                    try {
                        target.add(e);
                    } catch (SQLException x) {
                        throw new IllegalStateException("writing to PostgreSQL failed: " + x.getMessage(), x);
                    }
                });
                long[] outcomes = {0};
                source.forEachOutcome(o -> {
                    target.add(o);
                    outcomes[0]++;
                });
                long[] prompts = {0};
                source.prompts().forEach(p -> {
                    target.add(p);
                    prompts[0]++;
                });
                long[] shadows = {0};
                source.shadows().forEach(a -> {
                    target.add(a);
                    shadows[0]++;
                });
                target.finish();
                out.println("copied " + target.rows() + " rows, " + outcomes[0] + " outcomes, " + prompts[0]
                        + " logged prompts and " + shadows[0] + " shadow answers from "
                        + file.toAbsolutePath() + " to PostgreSQL schema " + schema);
                if (span[0] == null) return 0;
                // the span of the copied rows (the end is exclusive, one microsecond after the last row)
                SpendQuery all = new SpendQuery(List.of(), span[0], span[1].plusNanos(1_000), null);
                Totals embedded = Totals.of(source.spend(all));
                Totals shared = Totals.of(PgLedger.reader(db).spend(all));
                out.println("embedded: " + embedded);
                out.println("postgres: " + shared);
                if (!embedded.equals(shared)) {
                    spec.commandLine().getErr().println("ledger copy: the totals differ (PostgreSQL holds other rows in"
                            + " that span too, or not every row was written)");
                    return 1;
                }
                out.println("totals match to the last decimal");
                return 0;
            }
        }

        private static PgDatabase open(String url, String schema) {
            try {
                return PgDatabase.open(url, schema, 2);
            } catch (RuntimeException e) {
                throw new UserError("cannot open PostgreSQL at " + SharedLedger.redacted(url) + ": " + e.getMessage(), e);
            }
        }
    }

    /** A ledger's totals over a span, compared exactly (scale included: both ledgers strip trailing zeros). */
    record Totals(long requests, BigDecimal costUsd, BigDecimal savedUsd, long inputTokens, long outputTokens) {
        static Totals of(List<SpendRow> rows) {
            if (rows.isEmpty()) return new Totals(0, BigDecimal.ZERO, BigDecimal.ZERO, 0, 0);
            SpendRow r = rows.getFirst();
            return new Totals(r.requests(), r.costUsd(), r.savedUsd(), r.inputTokens(), r.outputTokens());
        }

        @Override
        public String toString() {
            return requests + " requests, cost $" + costUsd.toPlainString() + ", saved $" + savedUsd.toPlainString()
                    + ", " + inputTokens + " input and " + outputTokens + " output tokens";
        }
    }
}
