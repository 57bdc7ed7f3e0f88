package dev.tollgate.app.eval;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a run found, per candidate model, against the gate: pass rate with its 95% Wilson interval, cost per request
 * and per passing answer, latency percentiles, and the cheapest model that passes. People's labels override the
 * scorers; where both a judge and people graded an answer, their agreement is measured.
 *
 * @param pending answers still missing (a run stopped early, or calls that failed)
 * @param missing the same answers grouped by why they are missing, each with what to do: a rerun completes some, not
 *                those a budget refused or the gateway cannot take
 */
public record EvalReport(double gate, List<ModelSummary> models, String cheapestPassing, Agreement judgeAgreement,
                         int pending, List<Missing> missing) {

    /** Per-request figures are rounded to this many decimal places of a dollar. */
    static final int SCALE = 10;

    /**
     * One candidate's figures.
     *
     * @param costUsd     what its answers cost in all (the judge's cost is apart, in {@code judgeCostUsd})
     * @param costPerPass null when no answer passed
     */
    public record ModelSummary(String model, int answered, int passed, double passRate, double ciLow, double ciHigh,
                               BigDecimal costUsd, BigDecimal costPerRequest, BigDecimal costPerPass,
                               BigDecimal judgeCostUsd, double p50Ms, double p95Ms, int failedCalls, boolean passes) {
    }

    /**
     * Answers missing for one reason.
     *
     * @param failure the first of their failures, as the gateway said it; null for answers not asked yet, or failures
     *                of a results file written before failures were kept
     */
    public record Missing(int answers, String why, String advice, boolean rerunCompletes, Failure failure) {
    }

    static EvalReport of(List<EvalTask> tasks, List<String> models, List<EvalResult> results, Labels labels, double gate) {
        Set<String> taskIds = new HashSet<>();
        tasks.forEach(t -> taskIds.add(t.id()));
        List<ModelSummary> summaries = new ArrayList<>();
        int[] agreement = new int[4]; // judge pass & people pass, judge pass & people fail, judge fail & people pass, both fail
        int pending = 0;
        Map<String, Missing> missing = new LinkedHashMap<>();
        for (String model : models) {
            int answered = 0, passed = 0, failedCalls = 0;
            BigDecimal cost = BigDecimal.ZERO, judgeCost = BigDecimal.ZERO;
            List<Double> latencies = new ArrayList<>();
            for (EvalResult r : results) {
                if (!r.model().equals(model) || !taskIds.contains(r.task())) continue;
                if (r.failed()) {
                    failedCalls++;
                    Failure f = r.failure();
                    if (f == null) count(missing, 1, "failed (the error of each is in the results file)", Failure.RERUN, true, null);
                    else count(missing, 1, f.why(), f.advice(), f.rerunCompletes(), f);
                    continue;
                }
                answered++;
                Boolean label = labels.of(r.task(), model).orElse(null);
                if (label != null ? label : r.verdict().pass()) passed++;
                cost = cost.add(r.costUsd());
                latencies.add(r.latencyMs());
                if (r.judgeModel() != null) {
                    judgeCost = judgeCost.add(r.judgeCostUsd());
                    if (label != null) agreement[(r.verdict().pass() ? 0 : 2) + (label ? 0 : 1)]++;
                }
            }
            pending += tasks.size() - answered;
            if (tasks.size() - answered - failedCalls > 0) {
                count(missing, tasks.size() - answered - failedCalls, NOT_ASKED, Failure.RERUN, true, null);
            }
            latencies.sort(Comparator.naturalOrder());
            double rate = answered == 0 ? 0 : passed / (double) answered;
            double[] ci = Stats.wilson(passed, answered);
            summaries.add(new ModelSummary(model, answered, passed, rate, ci[0], ci[1], cost, perUnit(cost, answered),
                    perUnit(cost, passed), judgeCost, Stats.percentile(latencies, 0.50), Stats.percentile(latencies, 0.95),
                    failedCalls, answered > 0 && rate >= gate));
        }
        String cheapest = summaries.stream().filter(ModelSummary::passes)
                .min(Comparator.comparing(ModelSummary::costPerRequest)).map(ModelSummary::model).orElse(null);
        Agreement judged = agreement[0] + agreement[1] + agreement[2] + agreement[3] == 0 ? null
                : Agreement.of(agreement[0], agreement[1], agreement[2], agreement[3]);
        return new EvalReport(gate, summaries, cheapest, judged, pending, List.copyOf(missing.values()));
    }

    /** Why answers are missing that no call was made for yet. */
    static final String NOT_ASKED = "not asked yet (--limit, or a run stopped early)";

    private static void count(Map<String, Missing> missing, int answers, String why, String advice, boolean rerun, Failure failure) {
        missing.merge(why + "\u0000" + advice, new Missing(answers, why, advice, rerun, failure),
                (a, b) -> new Missing(a.answers() + b.answers(), why, advice, rerun, a.failure()));
    }

    private static BigDecimal perUnit(BigDecimal total, int n) {
        return n == 0 ? null : total.divide(BigDecimal.valueOf(n), SCALE, RoundingMode.HALF_UP).stripTrailingZeros();
    }

    boolean anyPasses() {
        return cheapestPassing != null;
    }
}
