package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.store.duckdb.DuckDbLedger;

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
     * Runs {@code work} over a scan of the ledger through the gateway's own connection: the file is held by this
     * process, so no other may open it.
     */
    public <T> T scanLedger(DuckDbLedger.ScanWork<T> work) throws Exception {
        if (services.ledger().unwrap() instanceof DuckDbLedger duck) return duck.scan(work);
        throw new IllegalStateException("this gateway's ledger is not a DuckDB file; row-by-row planning needs one");
    }
}
