package dev.tollgate.store;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * One shadowed request (issue 13, shadow mode): the answer the client got and the candidate's answer to the same
 * request, already redacted as the prompt log redacts, with what each cost and how long each took. What
 * {@code tollgate eval --shadow} scores.
 *
 * @param time               when the client's request arrived
 * @param requestId          the client's request id (the candidate's ledger row shares it)
 * @param route              the route shadowed
 * @param candidate          the candidate model
 * @param api                the ledger's API name ("openai.chat", "anthropic.messages", …)
 * @param prompt             the request's last user message (redacted), for a judge's {@code <task>}
 * @param productionModel    the model that served the client
 * @param productionAnswer   the text the client got (redacted)
 * @param productionCostUsd  what the client's answer cost
 * @param productionMillis   arrival to the client's last byte
 * @param candidateAnswer    the candidate's text (redacted), or null when its call failed
 * @param candidateCostUsd   what the candidate's call cost
 * @param candidateMillis    the candidate call's start to its last byte
 * @param candidateError     why the candidate gave no answer, or null
 */
public record ShadowAnswer(Instant time, String requestId, String route, String candidate, String api, String prompt,
                           String productionModel, String productionAnswer, BigDecimal productionCostUsd,
                           long productionMillis, String candidateAnswer, BigDecimal candidateCostUsd, long candidateMillis,
                           String candidateError) {

    public ShadowAnswer {
        productionCostUsd = productionCostUsd == null ? BigDecimal.ZERO : productionCostUsd;
        candidateCostUsd = candidateCostUsd == null ? BigDecimal.ZERO : candidateCostUsd;
    }

    public boolean failed() {
        return candidateAnswer == null;
    }
}
