package dev.tollgate.gateway;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A gateway started from one of the shipped {@code examples/*.yaml}, as the README's walk-throughs start it, with the
 * sandbox on a free port in place of the example's {@code 127.0.0.1:9000}.
 */
public final class ExampleBed implements AutoCloseable {

    public final Vertx vertx = Vertx.vertx();
    public final DuckDbLedger ledger;
    public final GatewayServices services;
    public final Gateway gateway;

    /** {@code example}: the file's name under examples/, e.g. "routes-sandbox.yaml". */
    public ExampleBed(String example, Path dataDir) throws Exception {
        SandboxServer sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
        String yaml = Files.readString(Path.of("../examples", example)).replace("127.0.0.1:9000", "127.0.0.1:" + sandbox.port());
        ledger = DuckDbLedger.open(dataDir);
        services = GatewayServices.of(new ConfigLoader(Map.<String, String>of()::get).parse(yaml), PriceCatalog.bundled(), ledger);
        gateway = Gateway.start(vertx, services, 0, 1).await();
    }

    public String url() {
        return gateway.baseUrl();
    }

    @Override
    public void close() {
        gateway.close();
        services.observability().close();
        ledger.close();
        vertx.close().await();
    }
}
