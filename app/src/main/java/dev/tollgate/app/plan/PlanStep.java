package dev.tollgate.app.plan;

import dev.tollgate.store.duckdb.LedgerScan;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.Callable;

/**
 * A plan subcommand: a mistake in its input (a missing file, an unknown model, a busy ledger) ends it with one line
 * a person can act on and exit status 2 (1 for a failure reading data), never a stack trace.
 */
abstract class PlanStep implements Callable<Integer> {

    /** The subcommand's work; its return value is the exit status. */
    abstract int run() throws Exception;

    abstract String name();

    @Override
    public final Integer call() throws Exception {
        try {
            return run();
        } catch (LedgerScan.LedgerBusyException e) {
            System.err.println("plan " + name() + ": " + e.getMessage());
            return 1;
        } catch (NoSuchFileException e) {
            System.err.println("plan " + name() + ": no such file: " + e.getFile());
            return 2;
        } catch (IllegalArgumentException | IllegalStateException | IOException e) {
            System.err.println("plan " + name() + ": " + e.getMessage());
            return e instanceof IllegalArgumentException ? 2 : 1;
        }
    }
}
