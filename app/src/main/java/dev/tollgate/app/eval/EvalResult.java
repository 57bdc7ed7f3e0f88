package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;

import java.math.BigDecimal;

/**
 * One task answered by one model: the answer, the scorer's verdict, what it cost and how long it took; for a judged
 * task also the judge's verdict and cost. A line of the results file. {@code error} is set when no answer came, or
 * when the judge gave no verdict on the answer (then the answer and its cost are kept): the pair is asked again on the
 * next run, the candidate only when it gave no answer. {@code failure} is why as the gateway said it (null when the
 * line predates it), so that a report can tell answers a rerun completes from answers it does not.
 */
public record EvalResult(String task, String model, String answer, Verdict verdict, BigDecimal costUsd, double latencyMs,
                         String judgeModel, BigDecimal judgeCostUsd, String error, Failure failure) {

    boolean failed() {
        return error != null;
    }

    String key() {
        return key(task, model);
    }

    static String key(String task, String model) {
        return task + "\u0000" + model;
    }

    ObjectNode toJson() {
        ObjectNode n = Json.object().put("task", task).put("model", model);
        if (error != null) {
            n.put("error", error);
            if (failure != null) failure.writeTo(n);
            // an answer the judge gave no verdict on was still paid for: kept, so a rerun asks only the judge
            if (answer != null) n.put("answer", answer).put("cost_usd", costUsd.toPlainString()).put("latency_ms", Math.round(latencyMs * 10) / 10.0);
            return n;
        }
        n.put("answer", answer).put("pass", verdict.pass()).put("reason", verdict.reason())
                .put("cost_usd", costUsd.toPlainString()).put("latency_ms", Math.round(latencyMs * 10) / 10.0);
        if (judgeModel != null) n.put("judge", judgeModel).put("judge_cost_usd", judgeCostUsd.toPlainString());
        return n;
    }

    static EvalResult fromJson(JsonNode n) {
        String task = n.path("task").asText();
        String model = n.path("model").asText();
        if (n.hasNonNull("error")) {
            String answer = n.hasNonNull("answer") ? n.get("answer").asText() : null;
            return new EvalResult(task, model, answer, null, answer == null ? null : new BigDecimal(n.path("cost_usd").asText("0")),
                    n.path("latency_ms").asDouble(), null, null, n.get("error").asText(), Failure.fromJson(n));
        }
        String judge = n.hasNonNull("judge") ? n.get("judge").asText() : null;
        return new EvalResult(task, model, n.path("answer").asText(), new Verdict(n.path("pass").asBoolean(), n.path("reason").asText()),
                new BigDecimal(n.path("cost_usd").asText("0")), n.path("latency_ms").asDouble(),
                judge, judge == null ? null : new BigDecimal(n.path("judge_cost_usd").asText("0")), null, null);
    }
}
