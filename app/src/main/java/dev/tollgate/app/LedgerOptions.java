package dev.tollgate.app;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where a reading command finds the ledger: the file in the data directory, or the gateway that holds it. */
final class LedgerOptions {

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
            description = "Data directory of the ledger; while a gateway holds its file, that gateway is asked (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Mixin
    GatewayOptions gateway = new GatewayOptions();
}
