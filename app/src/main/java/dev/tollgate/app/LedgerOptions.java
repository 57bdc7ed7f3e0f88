package dev.tollgate.app;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where a reading command finds the ledger: the data directory, or a running gateway's admin API. */
final class LedgerOptions {

    @Option(names = "--data", defaultValue = "data", description = "Data directory of the ledger (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--url", description = "Ask the gateway at this URL instead of opening the ledger file"
            + " (default: only when a running gateway holds the file; its URL is read from DATA/gateway.json).")
    String url;

    @Option(names = "--admin-token", description = "The gateway's admin token (default: $TOLLGATE_ADMIN_TOKEN).")
    String adminToken;
}
