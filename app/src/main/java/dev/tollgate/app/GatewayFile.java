package dev.tollgate.app;

import dev.tollgate.gateway.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code DATA/gateway.json}, written by {@code serve} while it runs: where the gateway that holds the ledger file
 * listens, so {@code report} and {@code export} can ask it (see {@link LedgerReader}). It holds no secret.
 */
final class GatewayFile {

    private GatewayFile() {
    }

    static Path write(Path dataDir, String url) {
        Path file = dataDir.resolve(LedgerReader.GATEWAY_FILE);
        var info = Json.object();
        info.put("url", url);
        info.put("pid", ProcessHandle.current().pid());
        try {
            Files.writeString(file, Json.text(info) + "\n");
        } catch (IOException e) {
            System.err.println("tollgate: cannot write " + file + " (report and export will need --url): " + e.getMessage());
        }
        return file;
    }

    static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a stale file is harmless: it is only read while the ledger file is locked
        }
    }
}
