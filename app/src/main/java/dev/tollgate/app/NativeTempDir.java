package dev.tollgate.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * DuckDB's JDBC driver unpacks its native library (about 60 MB) into {@code java.io.tmpdir} each time it loads. A
 * full or read-only /tmp must not stop the gateway from starting, so before the ledger opens this points
 * {@code java.io.tmpdir} at {@code ledger.temp_dir} when set, or at {@code DATA/tmp} when the JVM's temp directory
 * cannot take the library. It must run before anything in the JVM creates a temp file (the JDK reads the property once).
 */
final class NativeTempDir {

    /** Room the unpacked library needs, with a margin. */
    static final long NEEDED_BYTES = 128L << 20;

    private NativeTempDir() {
    }

    /** Sets {@code java.io.tmpdir} when needed; returns the directory the library goes to. */
    static Path choose(Path configured, Path dataDir) throws IOException {
        Path chosen;
        if (configured != null) {
            chosen = Files.createDirectories(configured);
        } else {
            Path current = Path.of(System.getProperty("java.io.tmpdir"));
            if (usable(current)) return current;
            chosen = Files.createDirectories(dataDir.resolve("tmp"));
            System.err.println("tollgate: the temp directory " + current + " is not writable or has under "
                    + (NEEDED_BYTES >> 20) + " MB free; DuckDB's native library is unpacked into " + chosen.toAbsolutePath()
                    + " instead (set ledger.temp_dir to choose)");
        }
        System.setProperty("java.io.tmpdir", chosen.toAbsolutePath().toString());
        return chosen;
    }

    static boolean usable(Path dir) {
        try {
            return Files.isDirectory(dir) && Files.isWritable(dir) && Files.getFileStore(dir).getUsableSpace() >= NEEDED_BYTES;
        } catch (IOException e) {
            return false;
        }
    }
}
