package dev.tollgate.app;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Where a reading command finds the ledger: the file in the data directory, the gateway that holds it, or the shared
 * ledger in PostgreSQL.
 */
final class LedgerOptions {

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
            description = "Data directory of the ledger; while a gateway holds its file, that gateway is asked (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Mixin
    LedgerSource shared = new LedgerSource();

    @Mixin
    GatewayOptions gateway = new GatewayOptions();
}
