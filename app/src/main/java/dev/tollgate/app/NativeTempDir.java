package dev.tollgate.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * DuckDB's JDBC driver unpacks its native library (about 60 MB) into {@code java.io.tmpdir} each time it loads, and
 * the JVM reads that property once, at launch: a program cannot move it later. The {@code tollgate} launcher points it
 * at {@code TOLLGATE_TMPDIR}, or at {@code DATA/tmp} when the system's temp directory cannot take the library; this
 * checks the result before the ledger opens, so a full or read-only /tmp gives one clear line instead of a stack trace.
 */
final class NativeTempDir {

    /** Room the unpacked library needs, with a margin. */
    static final long NEEDED_BYTES = 128L << 20;

    private NativeTempDir() {
    }

    /** Why DuckDB's native library cannot be unpacked into {@code dir}, with the fix; empty when it can. */
    static Optional<String> problem(Path dir) {
        String why;
        try {
            if (!Files.isDirectory(dir)) why = "does not exist";
            else if (!Files.isWritable(dir)) why = "is not writable";
            else if (Files.getFileStore(dir).getUsableSpace() < NEEDED_BYTES) why = "has under " + (NEEDED_BYTES >> 20) + " MB free";
            else return Optional.empty();
        } catch (IOException e) {
            why = "cannot be read (" + e.getMessage() + ")";
        }
        return Optional.of("the temp directory " + dir + " " + why + ", and DuckDB unpacks its native library (about 60 MB)"
                + " there at each start; start through ./tollgate (it falls back to DATA/tmp), set TOLLGATE_TMPDIR, or pass"
                + " -Djava.io.tmpdir=DIR to java");
    }

    /**
     * Starts loading DuckDB's native library on a thread of its own: unpacking and linking it is the largest single step
     * of start-up, and nothing else waits for it until the ledger opens. Gives how long it took (ms), or the failure
     * that opening the ledger would otherwise meet as a bare "Could not initialize class". Call it only once
     * {@link #problem} found none, and let it finish before the process exits: DuckDB deletes its copy at exit only
     * once the copy is whole.
     */
    static CompletableFuture<Long> preload() {
        CompletableFuture<Long> loaded = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("tollgate-duckdb-load").start(() -> {
            long start = System.nanoTime();
            try {
                Class.forName("org.duckdb.DuckDBNative", true, NativeTempDir.class.getClassLoader());
                loaded.complete((System.nanoTime() - start) / 1_000_000);
            } catch (ClassNotFoundException e) {
                loaded.complete(-1L); // another driver version: it loads its library when the ledger opens
            } catch (Throwable e) {
                loaded.completeExceptionally(e instanceof ExceptionInInitializerError init && init.getCause() != null ? init.getCause() : e);
            }
        });
        return loaded;
    }

    /** The JVM's temp directory. */
    static Path current() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }
}
