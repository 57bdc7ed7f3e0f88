package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.store.Ledger;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.NoSuchElementException;

/** {@code GET /admin/requests/{request_id}}: one request's ledger row, for the dashboard's drill-down. */
final class RequestLookup {

    static final String PREFIX = "/admin/requests/";

    private RequestLookup() {
    }

    /** The row as {@code {"request": {...}}}; throws {@link NoSuchElementException} when the ledger has none. */
    static ObjectNode find(Ledger ledger, String path) {
        // '+' is literal in a path; URLDecoder would read it as a space
        String id = URLDecoder.decode(path.substring(PREFIX.length()).replace("+", "%2B"), StandardCharsets.UTF_8);
        if (id.isBlank() || id.length() > 128) throw new IllegalArgumentException("a request id has 1 to 128 characters");
        ObjectNode body = Json.object();
        body.set("request", LedgerJson.of(ledger.find(id)
                .orElseThrow(() -> new NoSuchElementException("no request '" + id + "' in the ledger"))));
        return body;
    }
}
