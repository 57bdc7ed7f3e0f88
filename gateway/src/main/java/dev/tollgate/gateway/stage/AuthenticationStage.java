package dev.tollgate.gateway.stage;

import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.auth.KeyStore;
import dev.tollgate.gateway.auth.Principal;
import dev.tollgate.gateway.auth.Tags;

import java.util.Map;
import java.util.Optional;

/** Turns the caller's virtual key into a {@link Principal} and the request's attribution tags. */
public final class AuthenticationStage implements Stage {

    private final KeyStore keys;

    public AuthenticationStage(KeyStore keys) {
        this.keys = keys;
    }

    @Override
    public void handle(Exchange exchange, ReplySink sink, Chain next) {
        Principal principal = Principal.ANONYMOUS;
        if (!keys.open()) {
            String key = KeyStore.presentedKey(exchange.requestHeaders());
            if (key == null) {
                sink.fail(GatewayError.unauthorized("missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'"));
                return;
            }
            Optional<Principal> found = keys.find(key);
            if (found.isEmpty()) {
                sink.fail(GatewayError.unauthorized("invalid API key: this gateway does not know the key ending in '"
                        + last4(key) + "'"));
                return;
            }
            principal = found.get();
        }
        Map<String, String> tags;
        try {
            tags = Tags.merge(exchange.requestHeaders().get(Tags.HEADER), principal.tags());
        } catch (IllegalArgumentException e) {
            sink.fail(GatewayError.badRequest("bad " + Tags.HEADER + " header: " + e.getMessage(), null));
            return;
        }
        try {
            tags = Tags.withDecision(tags, exchange.requestHeaders().get(Tags.DECISION_HEADER));
        } catch (IllegalArgumentException e) {
            sink.fail(GatewayError.badRequest(e.getMessage(), null));
            return;
        }
        exchange.authenticate(principal, tags);
        next.proceed(exchange, sink);
    }

    private static String last4(String key) {
        return key.length() <= 4 ? "" : key.substring(key.length() - 4);
    }
}
