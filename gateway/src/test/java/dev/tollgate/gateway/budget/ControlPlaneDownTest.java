package dev.tollgate.gateway.budget;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.store.duckdb.DuckDbLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A replica whose control plane's PostgreSQL does not answer does not start, and says so in one line. */
class ControlPlaneDownTest {

    @TempDir
    Path data;

    @Test
    void anUnreachablePostgresStopsStartUpWithOneLine() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort(); // free once closed: nothing listens there
        }
        // HikariCP tries again, a second apart, until the connect timeout has passed: at its least (250 ms) it gives up
        // after one try and its pause, about 1 s, where the default 5 s took five
        GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse("""
                ledger: {type: postgres, url: "postgres://postgres:hunter2@127.0.0.1:%d/test", connect_timeout_ms: 250}
                """.formatted(closedPort));
        try (DuckDbLedger ledger = DuckDbLedger.open(data)) {
            assertThatThrownBy(() -> GatewayServices.of(config, PriceCatalog.bundled(), ledger))
                    .isInstanceOf(ConfigLoader.ConfigException.class)
                    .hasMessageStartingWith("ledger: cannot open PostgreSQL for the control plane")
                    .hasMessageNotContaining("hunter2")
                    .satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage()).doesNotContain("\n"));
        }
    }
}
