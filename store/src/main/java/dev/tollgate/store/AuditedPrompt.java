package dev.tollgate.store;

import dev.tollgate.core.usage.Usage;

import java.math.BigDecimal;

/**
 * A logged prompt together with what its request cost, from the ledger row of the same request.
 *
 * @param prompt      the logged prompt
 * @param pricedModel the catalog model that priced the request (from its price version), or the served model
 * @param usage       the tokens the provider reported
 * @param costUsd     the exact cost
 * @param status      the HTTP status the client got
 */
public record AuditedPrompt(PromptRecord prompt, String pricedModel, Usage usage, BigDecimal costUsd, int status) {
}
