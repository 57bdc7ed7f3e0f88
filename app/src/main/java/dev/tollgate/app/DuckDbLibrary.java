package dev.tollgate.app;

import java.util.concurrent.CompletableFuture;

/**
 * DuckDB's native library (about 70 MB with duckdb_jdbc 2.0.0.1) and its JDBC driver, loaded on a thread of its own.
 * The build puts the library beside the driver's jar in {@code app/target/lib}, where the driver finds it; a driver jar
 * that still carries it (run from Maven's repository: tests, an IDE) copies it into {@code java.io.tmpdir} first, at
 * every start.
 */
final class DuckDbLibrary {

    private DuckDbLibrary() {
    }

    /**
     * Starts loading the library, then the driver class (its initialiser registers a Java Flight Recorder event, about
     * 0.1 s): nothing else waits for either until the ledger opens. Gives how long it took (ms), or the failure that
     * opening the ledger would otherwise meet as a bare "Could not initialize class". Let it finish before the process
     * exits: DuckDB deletes a copy of the library at exit only once the copy is whole.
     */
    static CompletableFuture<Long> preload() {
        CompletableFuture<Long> loaded = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("tollgate-duckdb-load").start(() -> {
            long start = System.nanoTime();
            try {
                Class.forName("org.duckdb.DuckDBNative", true, DuckDbLibrary.class.getClassLoader());
                Class.forName("org.duckdb.DuckDBDriver", true, DuckDbLibrary.class.getClassLoader());
                loaded.complete((System.nanoTime() - start) / 1_000_000);
            } catch (ClassNotFoundException e) {
                loaded.complete(-1L); // another driver version: it loads its library when the ledger opens
            } catch (Throwable e) {
                loaded.completeExceptionally(e instanceof ExceptionInInitializerError init && init.getCause() != null ? init.getCause() : e);
            }
        });
        return loaded;
    }
}
