package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.store.Ledger;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.NoSuchElementException;

/**
 * {@code GET /admin/requests/{request_id}}: one request's ledger row (the attempt that answered), for the dashboard's
 * drill-down, and every attempt's row when it took more than one.
 */
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
        // a route's retries and fallbacks, a cascade's escalations: each attempt, and why it was tried again
        var attempts = ledger.attempts(id);
        if (attempts.size() > 1) {
            var list = body.putArray("attempts");
            attempts.forEach(entry -> list.add(LedgerJson.of(entry)));
        }
        return body;
    }
}
