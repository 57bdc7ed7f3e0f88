package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Why a call got no answer, as the gateway said it: its HTTP status (0 when none came: unreachable, timed out), the
 * error's {@code code} (else its {@code type}), and for a budget's refusal (429 {@code budget_exceeded}) the budget's
 * name and when its period resets ({@code x-tollgate-budget}, {@code x-tollgate-budget-reset}). It tells a failure
 * that running the same command again completes (a rate limit, a server error, no answer) from one it does not (a
 * budget spent, a key the gateway does not know, a model it does not serve, a request it cannot take).
 */
record Failure(int status, String code, String budget, String budgetReset) {

    static final String BUDGET_EXCEEDED = "budget_exceeded";
    /** No answer came: the gateway was unreachable, the call timed out or was interrupted. */
    static final Failure NO_ANSWER = new Failure(0, null, null, null);
    static final String RERUN = "run the same command again to complete them";

    boolean budgetRefusal() {
        return status == 429 && BUDGET_EXCEEDED.equals(code);
    }

    /** Whether a rerun, as things stand, may get the answer. */
    boolean rerunCompletes() {
        if (budgetRefusal()) return false;
        return status == 0 || status == 408 || status == 429 || status >= 500;
    }

    /** What the missing answers it stands for have in common: "refused by budget 'eval' (limit reached)". */
    String why() {
        if (budgetRefusal()) return "refused by budget '" + budget + "' (limit reached)";
        return switch (status) {
            case 0 -> "got no answer from the gateway (unreachable or timed out)";
            case 401 -> "refused: the gateway does not know the key (HTTP 401)";
            case 403 -> "refused (HTTP 403" + (code == null ? "" : " " + code) + ")";
            case 404 -> "asked of a model the gateway does not serve (HTTP 404)";
            case 429 -> "rate limited (HTTP 429" + (code == null ? "" : " " + code) + ")";
            default -> status >= 500 ? "failed on the gateway's or provider's side (HTTP " + status + ")"
                    : "refused as bad requests (HTTP " + status + (code == null ? "" : " " + code) + ")";
        };
    }

    /** What to do about it. */
    String advice() {
        if (budgetRefusal()) {
            return "raise it or wait for its period" + (budgetReset == null ? "" : " (it resets " + budgetReset + ")")
                    + ", then run the same command again";
        }
        if (rerunCompletes()) return RERUN;
        return switch (status) {
            case 401 -> "pass a key it knows (--key or $TOLLGATE_API_KEY), then run the same command again";
            case 404 -> "check --models and --judge against GET /v1/models; a rerun alone will not complete them";
            default -> "the error of each is in the results file; a rerun alone will not complete them";
        };
    }

    void writeTo(ObjectNode n) {
        n.put("error_status", status);
        if (code != null) n.put("error_code", code);
        if (budget != null) n.put("budget", budget);
        if (budgetReset != null) n.put("budget_reset", budgetReset);
    }

    /** From a line of the results file; null for a line written before failures were kept. */
    static Failure fromJson(JsonNode n) {
        if (!n.has("error_status")) return null;
        return new Failure(n.get("error_status").asInt(), text(n, "error_code"), text(n, "budget"), text(n, "budget_reset"));
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }
}
