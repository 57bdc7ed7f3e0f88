package dev.tollgate.store;

import dev.tollgate.core.usage.Usage;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;

/**
 * One metered request, as the ledger keeps it.
 *
 * @param time           when the request arrived
 * @param requestId      the id sent back to the client in {@code x-tollgate-request-id}
 * @param keyName        the virtual key's name (never the key itself)
 * @param tags           attribution: team, project, env, customer, feature, cost_center and any others
 * @param api            the wire format the client spoke: "openai.chat", "openai.completions",
 *                       "openai.embeddings", "openai.responses", "anthropic.messages"
 * @param provider       the configured provider that served it
 * @param deployment     the configured model name the client asked for (the route)
 * @param requestedModel the model named in the client's request
 * @param servedModel    the model the provider reported (what was priced)
 * @param usage          tokens by kind
 * @param costUsd        exact cost in US dollars
 * @param priceVersion   the catalog entry that priced it ("gpt-4o@2024-08-06"), or null when unpriced
 * @param status         the HTTP status the client got
 * @param error          a short error message, or null
 * @param latencyMicros  arrival to last byte
 * @param ttftMicros     arrival to first byte of the body (streams: first event), or -1
 * @param stream         whether the client asked for a stream
 * @param estimated      whether usage was counted locally because the provider did not report it
 * @param cache          null for a call that went to the provider; "hit", "coalesced" or "idempotent" for an answer
 *                       the gateway served again (cost 0, no tokens billed)
 * @param savedUsd       what serving it again avoided (the cost of the original call); for a provider call, what a
 *                       budget's downgrade to a cheaper model saved against the model asked for (else 0)
 * @param unpriced       the call used tokens but its model has no price (and is not marked free), so its cost of 0
 *                       is not what it cost
 * @param attempt        which attempt of the client's request this row is (rows of one request share its id), or
 *                       null for a request that made one attempt at a model that is not a route
 */
public record LedgerEntry(Instant time, String requestId, String keyName, Map<String, String> tags, String api,
                          String provider, String deployment, String requestedModel, String servedModel,
                          Usage usage, BigDecimal costUsd, String priceVersion, int status, String error,
                          long latencyMicros, long ttftMicros, boolean stream, boolean estimated, String cache,
                          BigDecimal savedUsd, boolean unpriced, Attempt attempt) {

    /**
     * One attempt of a request sent to a route (issue 13): retried or fallen back attempts are rows of their own,
     * sharing the client's request id.
     *
     * @param number        1 for the first attempt, 2 for the next…
     * @param reason        why the gateway tried again after this attempt ({@code rate_limited}, {@code server_error},
     *                      {@code connection_failed}, {@code timeout}, {@code stream_error}, {@code stream_stall},
     *                      {@code stream_malformed}, {@code stream_closed}); null for the attempt that ended the request
     * @param upstreamModel the model the provider was asked for (with {@code provider}, the deployment)
     */
    public record Attempt(int number, String reason, String upstreamModel) {
    }

    /** As the canonical constructor, for a request that made one attempt. */
    public LedgerEntry(Instant time, String requestId, String keyName, Map<String, String> tags, String api,
                       String provider, String deployment, String requestedModel, String servedModel,
                       Usage usage, BigDecimal costUsd, String priceVersion, int status, String error,
                       long latencyMicros, long ttftMicros, boolean stream, boolean estimated, String cache,
                       BigDecimal savedUsd, boolean unpriced) {
        this(time, requestId, keyName, tags, api, provider, deployment, requestedModel, servedModel, usage, costUsd,
                priceVersion, status, error, latencyMicros, ttftMicros, stream, estimated, cache, savedUsd, unpriced, null);
    }

    public LedgerEntry {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        usage = usage == null ? Usage.ZERO : usage;
        costUsd = costUsd == null ? BigDecimal.ZERO : costUsd;
        savedUsd = savedUsd == null ? BigDecimal.ZERO : savedUsd;
    }

    /** A priced (or free) call. */
    public LedgerEntry(Instant time, String requestId, String keyName, Map<String, String> tags, String api,
                       String provider, String deployment, String requestedModel, String servedModel,
                       Usage usage, BigDecimal costUsd, String priceVersion, int status, String error,
                       long latencyMicros, long ttftMicros, boolean stream, boolean estimated, String cache,
                       BigDecimal savedUsd) {
        this(time, requestId, keyName, tags, api, provider, deployment, requestedModel, servedModel, usage, costUsd,
                priceVersion, status, error, latencyMicros, ttftMicros, stream, estimated, cache, savedUsd, false);
    }

    /** A provider call: not served from the cache, nothing saved. */
    public LedgerEntry(Instant time, String requestId, String keyName, Map<String, String> tags, String api,
                       String provider, String deployment, String requestedModel, String servedModel,
                       Usage usage, BigDecimal costUsd, String priceVersion, int status, String error,
                       long latencyMicros, long ttftMicros, boolean stream, boolean estimated) {
        this(time, requestId, keyName, tags, api, provider, deployment, requestedModel, servedModel, usage, costUsd,
                priceVersion, status, error, latencyMicros, ttftMicros, stream, estimated, null, BigDecimal.ZERO);
    }
}
