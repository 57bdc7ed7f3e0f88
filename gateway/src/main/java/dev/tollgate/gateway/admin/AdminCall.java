package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.postgres.PgLedger;

import java.time.Instant;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * One call of an {@link AdminRoute}: the query parameters, the JSON body (an object; null for GET), the gateway's
 * services (its ledger, already flushed, so the answer sees every row metered before the call; budgets; catalog), and
 * whether the caller has hung up, so that long work can stop instead of holding a worker thread for nobody.
 */
public record AdminCall(Map<String, String> params, JsonNode body, GatewayServices services, BooleanSupplier callerGone) {

    public AdminCall {
        params = Map.copyOf(params);
    }

    public AdminCall(Map<String, String> params, JsonNode body, GatewayServices services) {
        this(params, body, services, () -> false);
    }

    /** Throws {@link java.util.concurrent.CancellationException} when the caller has closed its connection. */
    public void stopIfCallerGone() {
        if (callerGone.getAsBoolean()) throw new java.util.concurrent.CancellationException("the caller closed the connection");
    }

    /** A query parameter, or null. */
    public String param(String name) {
        return params.get(name);
    }

    /**
     * Runs {@code work} over a scan of the ledger's rows in {@code [from, to)} (either may be null). The embedded ledger
     * is scanned through the gateway's own connection (the file is held by this process, so no other may open it);
     * the shared ledger in PostgreSQL through a scratch embedded copy of the range ({@link PgLedger#scan}).
     */
    public <T> T scanLedger(Instant from, Instant to, DuckDbLedger.ScanWork<T> work) throws Exception {
        Ledger ledger = services.ledger().unwrap();
        if (ledger instanceof DuckDbLedger duck) return duck.scan(work);
        if (ledger instanceof PgLedger pg) return pg.scan(from, to, work);
        throw new IllegalStateException("this gateway's ledger (" + ledger.getClass().getSimpleName() + ") cannot be scanned row by row");
    }
}
