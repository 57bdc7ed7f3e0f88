package dev.tollgate.gateway.admin;

import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import dev.tollgate.gateway.http.ServerRequest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code GET /admin/export/focus?format=csv|parquet&since=30d} (or {@code from}/{@code to}): the FOCUS dataset as a
 * file download. The gateway writes it to a temporary file on a worker thread (DuckDB's COPY), streams it, and
 * deletes it; so {@code tollgate export focus} works while the gateway holds the ledger.
 */
final class FocusExportApi {

    private final Vertx vertx;
    private final GatewayServices services;

    FocusExportApi(Vertx vertx, GatewayServices services) {
        this.vertx = vertx;
        this.services = services;
    }

    void handle(ServerRequest request) {
        Map<String, String> params = AdminApi.params(request);
        String format = params.getOrDefault("format", "csv").toLowerCase();
        if (!format.equals("csv") && !format.equals("parquet")) {
            AdminApi.respondError(request, GatewayError.badRequest("format must be csv or parquet, not '" + format + "'", "format"));
            return;
        }
        SpendQuery range = SpendReport.query(Map.of("from", params.getOrDefault("from", ""), "to", params.getOrDefault("to", ""),
                "since", params.getOrDefault("since", "")), services.clock().instant());
        var inner = services.ledger().unwrap();
        FocusWriter ledger = inner instanceof DuckDbLedger duck ? duck::exportFocus
                : inner instanceof dev.tollgate.store.postgres.PgLedger shared ? shared::exportFocus : null;
        if (ledger == null) {
            AdminApi.respondError(request, new GatewayError(501, "api_error", "not_supported",
                    "this gateway's ledger cannot export FOCUS data", null, null));
            return;
        }
        vertx.executeBlocking(() -> {
            services.ledger().flush();
            Path file = Files.createTempFile("tollgate-focus-", "." + format);
            Files.delete(file); // DuckDB's COPY writes the file itself
            ledger.exportFocus(range.from(), range.to(), format, file);
            return file;
        }, false).onComplete(result -> {
            if (result.failed()) {
                AdminApi.respondError(request, new GatewayError(500, "api_error", "export_failed",
                        "the FOCUS export failed: " + result.cause().getMessage(), null, null));
                return;
            }
            Path file = result.result();
            request.response()
                    .putHeader("content-type", format.equals("csv") ? "text/csv; charset=utf-8" : "application/vnd.apache.parquet")
                    .putHeader("content-disposition", "attachment; filename=\"tollgate-focus." + format + "\"")
                    .sendFile(file.toString())
                    .onComplete(sent -> vertx.executeBlocking(() -> Files.deleteIfExists(file), false));
        });
    }

    /** A ledger that writes FOCUS datasets (the embedded one, and the shared one through it). */
    @FunctionalInterface
    private interface FocusWriter {
        long exportFocus(java.time.Instant from, java.time.Instant to, String format, Path out);
    }
}
