package dev.tollgate.gateway.stage;

import dev.tollgate.gateway.GatewayError;

/**
 * Why an attempt ended before any byte of its answer reached the client, and what the client gets if no other attempt
 * follows.
 *
 * @param kind       what the ledger's {@code attempt_reason} says when the gateway tries again: {@code rate_limited},
 *                   {@code server_error}, {@code timeout}, {@code connection_failed}, {@code stream_error},
 *                   {@code stream_stall}, {@code stream_malformed}, {@code stream_closed}, {@code rejected} (the
 *                   request itself was refused), {@code unsupported}, {@code cancelled}
 * @param error      the error in the client's wire format (the provider's own type and message where it gave one)
 * @param retryable  whether another attempt (here or elsewhere) may succeed
 * @param unwell     whether it counts against the deployment's circuit breaker
 * @param retryAfterNanos the provider's {@code retry-after}, or 0
 */
public record AttemptFailure(String kind, GatewayError error, boolean retryable, boolean unwell, long retryAfterNanos) {

    static AttemptFailure unwell(String kind, GatewayError error) {
        return new AttemptFailure(kind, error, true, true, 0);
    }

    static AttemptFailure fatal(String kind, GatewayError error) {
        return new AttemptFailure(kind, error, false, false, 0);
    }

    /** An HTTP error answer: 408, 429 and 5xx may pass; any other is the request's own fault and would fail anywhere. */
    static AttemptFailure http(int status, GatewayError error, long retryAfterNanos) {
        if (status == 429) return new AttemptFailure("rate_limited", error, true, true, retryAfterNanos);
        if (status == 408 || status == 504) return new AttemptFailure("timeout", error, true, true, retryAfterNanos);
        if (status >= 500) return new AttemptFailure("server_error", error, true, true, retryAfterNanos);
        return fatal("rejected", error);
    }

    /** The provider's {@code retry-after-ms} or {@code retry-after} (seconds; an HTTP date is ignored), in nanoseconds. */
    static long retryAfterNanos(String retryAfterMs, String retryAfter) {
        try {
            if (retryAfterMs != null) return (long) (Double.parseDouble(retryAfterMs.trim()) * 1_000_000);
            if (retryAfter != null) return (long) (Double.parseDouble(retryAfter.trim()) * 1_000_000_000);
        } catch (NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** A throwable for the circuit breaker's records. */
    Throwable asThrowable() {
        return new AttemptException(kind + ": " + error.message());
    }

    private static final class AttemptException extends RuntimeException {
        AttemptException(String message) {
            super(message, null, false, false);
        }
    }
}
