package dev.tollgate.app.eval;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.tollgate.app.GatewayLink;
import dev.tollgate.app.LedgerSource;
import dev.tollgate.gateway.Json;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.ShadowAnswer;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code tollgate eval --shadow ROUTE}: the running verdict on a route's shadow candidate. Each kept pair (the answer
 * the client got, the candidate's answer to the same request) is scored with the eval's scorers, the production answer
 * standing as the reference: by the judge when one is named, else by a deterministic scorer (normalized match by
 * default). A candidate call that failed counts as a failing answer. What switching would save: the route's real spend
 * in the ledger over the same period (its own rows, shadows apart), times the share the candidate saved on the
 * shadowed requests (1 - its cost / the production cost of the same requests: its real token counts, verbose or not),
 * scaled to 30 days.
 */
final class ShadowEval {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
    static final Duration MONTH = Duration.ofDays(30);

    /** One scored pair; {@code judgedNow}: the judge was asked (and paid) in this run, not in an earlier one. */
    record Scored(ShadowAnswer answer, Verdict verdict, BigDecimal judgeCostUsd, boolean judgedNow) {
    }

    /**
     * The route's spend in the period and what the candidate would have saved of it.
     *
     * @param requests     the route's requests in the ledger over the period
     * @param routeCostUsd what they cost
     * @param savingUsd    {@code routeCostUsd} times the share the candidate saved on the shadowed requests it answered
     */
    record Saving(long requests, BigDecimal routeCostUsd, BigDecimal savingUsd) {
    }

    /**
     * The verdict.
     *
     * @param judgeCalls      the pairs the judge was asked about in this run (the others' verdicts were kept)
     * @param judgeCostUsd    what this run paid the judge
     * @param judgeCostAllUsd what all the verdicts counted cost, this run's and those kept from earlier runs
     * @param saving          null when the ledger could not be read (see {@code savingError}) or nothing was scored
     */
    record Report(String route, String candidate, Duration window, String scorer, double gate, int answers, int passed,
                  int failedCalls, double passRate, double ciLow, double ciHigh, BigDecimal productionCostUsd,
                  BigDecimal candidateCostUsd, int judgeCalls, BigDecimal judgeCostUsd, BigDecimal judgeCostAllUsd,
                  double productionP50Ms, double candidateP50Ms, Saving saving, String savingError) {

        boolean passes() {
            return answers > 0 && passRate >= gate;
        }

        /** The saving over the window, scaled to 30 days; null without one. */
        BigDecimal monthlySaving() {
            if (saving == null) return null;
            return saving.savingUsd().multiply(BigDecimal.valueOf(MONTH.toSeconds()))
                    .divide(BigDecimal.valueOf(window.toSeconds()), 10, RoundingMode.HALF_UP);
        }
    }

    private ShadowEval() {
    }

    /** The route's kept answers in the window: from PostgreSQL ({@code --ledger}), the file when no process holds it, else the gateway. */
    static List<ShadowAnswer> answers(LedgerSource ledger, Path dataDir, GatewayLink link, String route, String since, Instant now,
                                      Duration window) throws Exception {
        return ledger.read(dataDir, l -> l.shadows().answers(route, now.minus(window), now), () -> {
            JsonNode body = link.get("/admin/shadow?route=" + URLEncoder.encode(route, StandardCharsets.UTF_8)
                    + "&since=" + URLEncoder.encode(since, StandardCharsets.UTF_8));
            List<ShadowAnswer> out = new ArrayList<>();
            for (JsonNode a : body.path("answers")) {
                out.add(new ShadowAnswer(Instant.parse(a.path("time").asText()), a.path("request_id").asText(), a.path("route").asText(),
                        a.path("candidate").asText(), text(a, "api"), text(a, "prompt"), text(a, "production_model"),
                        text(a, "production_answer"), a.path("production_cost_usd").decimalValue(), a.path("production_ms").asLong(),
                        text(a, "candidate_answer"), a.path("candidate_cost_usd").decimalValue(), a.path("candidate_ms").asLong(),
                        text(a, "candidate_error")));
            }
            return out;
        });
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** The scorer named by {@code --scorer} against a reference: exact, normalized or numeric. */
    static Scorer.Deterministic scorer(String name, String reference) {
        if (!List.of("exact", "normalized", "normalised", "numeric").contains(name.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("--scorer for --shadow must be exact, normalized or numeric (or pass --judge MODEL), not " + name);
        }
        return (Scorer.Deterministic) Scorer.parse(TextNode.valueOf(name), reference);
    }

    /**
     * Scores every pair: by the judge when there is one, else by the named deterministic scorer. The judge's verdicts
     * are kept in {@code verdicts} as they come, a line per pair (its request id as the task, the candidate as the
     * model, the judge and what it cost): a pair the same judge already judged there is not asked about again, so a
     * daily run pays only for the new pairs, and a run the judge fails part way keeps what it paid for.
     */
    static List<Scored> score(List<ShadowAnswer> answers, String scorerName, Judge judge, GatewayCaller gateway, ResultsFile verdicts,
                              PrintWriter err) throws IOException {
        if (judge != null) {
            long kept = answers.stream().filter(a -> !a.failed() && a.productionAnswer() != null && judged(verdicts, a, judge) != null).count();
            if (kept > 0) {
                long toAsk = answers.stream().filter(a -> !a.failed() && a.productionAnswer() != null).count() - kept;
                err.println("eval: " + kept + " verdicts of the judge " + judge.model() + " already in " + verdicts.file() + ", " + toAsk + " to ask");
            }
        }
        List<Scored> out = new ArrayList<>(answers.size());
        for (ShadowAnswer a : answers) {
            if (a.failed()) {
                out.add(new Scored(a, Verdict.fail("the candidate gave no answer: " + a.candidateError()), BigDecimal.ZERO, false));
            } else if (a.productionAnswer() == null) {
                continue; // nothing to hold it against (a production answer with no text, e.g. only tool calls)
            } else if (judge == null) {
                Verdict v;
                try {
                    v = scorer(scorerName, a.productionAnswer()).score(a.candidateAnswer());
                } catch (NumberFormatException e) {
                    continue; // numeric scoring, and the production answer is no number: this pair says nothing
                }
                out.add(new Scored(a, v, BigDecimal.ZERO, false));
            } else if (judged(verdicts, a, judge) instanceof EvalResult earlier) {
                out.add(new Scored(a, earlier.verdict(), earlier.judgeCostUsd(), false));
            } else {
                ArrayNode messages = Json.array();
                messages.addObject().put("role", "user").put("content", a.prompt() == null ? "" : a.prompt());
                EvalTask task = new EvalTask(a.requestId(), messages, a.productionAnswer(), new Scorer.Judged(null), null);
                GatewayCaller.Answer review = gateway.ask(judge.model(), judge.messages(task, null, a.candidateAnswer()), null);
                if (review.failed()) {
                    throw new IllegalStateException("the judge " + judge.model() + " gave no verdict: " + review.error()
                            + " (the verdicts it gave are kept in " + verdicts.file() + "; " + review.failure().advice() + ")");
                }
                Verdict v = Judge.verdict(review.text());
                verdicts.append(new EvalResult(a.requestId(), a.candidate(), a.candidateAnswer(), v, a.candidateCostUsd(),
                        a.candidateMillis(), judge.model(), review.costUsd(), null, null));
                out.add(new Scored(a, v, review.costUsd(), true));
            }
        }
        return out;
    }

    /** The verdict this judge gave on this pair in an earlier run, or null. */
    private static EvalResult judged(ResultsFile verdicts, ShadowAnswer a, Judge judge) {
        EvalResult r = verdicts.get(a.requestId(), a.candidate());
        return r != null && !r.failed() && judge.model().equals(r.judgeModel()) ? r : null;
    }

    static Report report(String route, String candidate, Duration window, String scorer, double gate, List<Scored> scored,
                         BigDecimal routeCostUsd, long routeRequests, String savingError) {
        int passed = 0, failedCalls = 0, judgeCalls = 0;
        BigDecimal production = BigDecimal.ZERO, cand = BigDecimal.ZERO, judge = BigDecimal.ZERO, judgeNow = BigDecimal.ZERO;
        // the cost ratio only over pairs where the candidate answered: a failed call's cost (nothing, or an error's)
        // says nothing of what the candidate would cost, and counting its production cost inflated the saving
        BigDecimal productionAnswered = BigDecimal.ZERO, candidateAnswered = BigDecimal.ZERO;
        List<Double> productionMs = new ArrayList<>(), candidateMs = new ArrayList<>();
        for (Scored s : scored) {
            if (s.verdict().pass()) passed++;
            if (s.answer().failed()) failedCalls++;
            production = production.add(s.answer().productionCostUsd());
            cand = cand.add(s.answer().candidateCostUsd());
            judge = judge.add(s.judgeCostUsd());
            if (s.judgedNow()) {
                judgeCalls++;
                judgeNow = judgeNow.add(s.judgeCostUsd());
            }
            if (!s.answer().failed()) {
                productionAnswered = productionAnswered.add(s.answer().productionCostUsd());
                candidateAnswered = candidateAnswered.add(s.answer().candidateCostUsd());
            }
            productionMs.add((double) s.answer().productionMillis());
            if (!s.answer().failed()) candidateMs.add((double) s.answer().candidateMillis());
        }
        productionMs.sort(Comparator.naturalOrder());
        candidateMs.sort(Comparator.naturalOrder());
        int n = scored.size();
        double[] ci = Stats.wilson(passed, n);
        Saving saving = null;
        if (routeCostUsd != null && productionAnswered.signum() > 0) {
            BigDecimal share = BigDecimal.ONE.subtract(candidateAnswered.divide(productionAnswered, MathContext.DECIMAL64));
            saving = new Saving(routeRequests, routeCostUsd, routeCostUsd.multiply(share).setScale(10, RoundingMode.HALF_UP));
        }
        return new Report(route, candidate, window, scorer, gate, n, passed, failedCalls, n == 0 ? 0 : passed / (double) n,
                ci[0], ci[1], production, cand, judgeCalls, judgeNow, judge, Stats.percentile(productionMs, 0.5), Stats.percentile(candidateMs, 0.5),
                saving, savingError);
    }

    /**
     * The route's own spend over the window, {requests, cost}: its rows in the ledger (deployment = the route), which
     * shadow calls are not (theirs name the candidate). From PostgreSQL ({@code --ledger}), the file when no process
     * holds it, else the gateway.
     */
    static SpendRow routeSpend(LedgerSource ledger, Path dataDir, GatewayLink link, String route, Instant now, Duration window)
            throws Exception {
        SpendQuery query = new SpendQuery(List.of(), now.minus(window), now, Map.of("deployment", route));
        return ledger.read(dataDir, l -> {
            List<SpendRow> rows = l.spend(query);
            return rows.isEmpty() ? new SpendRow(Map.of(), 0, 0, 0, 0, 0, 0, BigDecimal.ZERO) : rows.getFirst();
        }, () -> {
            JsonNode total = link.get("/admin/spend?deployment=" + URLEncoder.encode(route, StandardCharsets.UTF_8)
                    + "&from=" + query.from() + "&to=" + query.to()).path("total");
            return new SpendRow(Map.of(), total.path("requests").asLong(), 0, 0, 0, 0, 0, total.path("cost_usd").decimalValue());
        });
    }

    static String table(Report r) {
        StringBuilder out = new StringBuilder();
        out.append("Shadow of route ").append(r.route()).append(" on candidate ").append(r.candidate()).append(", last ")
                .append(span(r.window())).append(": ").append(r.answers()).append(" answers scored by ").append(r.scorer())
                .append(" against the answer the client got.\n\n");
        String[][] rows = {
                {"", "production", "candidate"},
                {"cost", EvalOutput.dollars(r.productionCostUsd()), EvalOutput.dollars(r.candidateCostUsd())},
                {"cost/request", EvalOutput.dollars(perRequest(r.productionCostUsd(), r.answers())),
                        EvalOutput.dollars(perRequest(r.candidateCostUsd(), r.answers()))},
                {"p50 ms", millis(r.productionP50Ms()), millis(r.candidateP50Ms())}};
        int[] width = new int[3];
        for (String[] row : rows) for (int i = 0; i < 3; i++) width[i] = Math.max(width[i], row[i].length());
        for (String[] row : rows) {
            out.append(row[0]).append(" ".repeat(width[0] - row[0].length()));
            for (int i = 1; i < 3; i++) out.append("  ").append(" ".repeat(width[i] - row[i].length())).append(row[i]);
            out.append('\n');
        }
        out.append('\n');
        out.append("Pass rate: ").append(EvalOutput.percent(r.passRate())).append(" (95% CI ").append(EvalOutput.percent(r.ciLow()))
                .append("-").append(EvalOutput.percent(r.ciHigh())).append("), gate ").append(EvalOutput.percent(r.gate()))
                .append(": ").append(r.answers() == 0 ? "no answers yet" : r.passes() ? "PASS" : "FAIL").append('\n');
        if (r.failedCalls() > 0) out.append(r.failedCalls()).append(" candidate calls failed and count as failing answers.\n");
        if (r.judgeCostAllUsd().signum() > 0) out.append(judgeCost(r)).append('\n');
        if (r.saving() != null) {
            out.append("Over the same period the route served ").append(r.saving().requests()).append(" requests for ")
                    .append(EvalOutput.dollars(r.saving().routeCostUsd())).append("; at the candidate's cost on the shadowed ones")
                    .append(" they would have cost ").append(EvalOutput.dollars(r.saving().savingUsd())).append(" less.\n");
        } else if (r.savingError() != null) {
            out.append("What switching would save is unknown: ").append(r.savingError()).append('\n');
        }
        out.append('\n').append(sentence(r)).append('\n');
        return out.toString();
    }

    /** What this run paid the judge, and what the verdicts it kept from earlier runs had cost. */
    static String judgeCost(Report r) {
        int kept = r.answers() - r.failedCalls() - r.judgeCalls();
        if (kept == 0) return "The judge cost " + EvalOutput.dollars(r.judgeCostUsd()) + " for " + plural(r.judgeCalls(), "verdict") + ".";
        return "The judge cost " + EvalOutput.dollars(r.judgeCostUsd()) + " this run for " + plural(r.judgeCalls(), "new verdict")
                + "; " + kept + " kept from earlier runs; all " + (kept + r.judgeCalls()) + " cost " + EvalOutput.dollars(r.judgeCostAllUsd()) + ".";
    }

    /** "The candidate passes 82.0% over 3 days; switching saves $X/month." */
    static String sentence(Report r) {
        if (r.answers() == 0) return "No shadowed answers for " + r.route() + " in the last " + span(r.window()) + ".";
        StringBuilder s = new StringBuilder("The candidate ").append(r.candidate()).append(" passes ")
                .append(EvalOutput.percent(r.passRate())).append(" over ").append(span(r.window()))
                .append(r.passes() ? " (gate " : " and fails the gate (").append(EvalOutput.percent(r.gate())).append(")");
        BigDecimal monthly = r.monthlySaving();
        if (monthly != null) {
            s.append(monthly.signum() >= 0 ? "; switching saves " : "; switching costs ")
                    .append(EvalOutput.dollars(monthly.abs().round(new MathContext(6)))).append("/month");
        }
        return s.append('.').toString();
    }

    static String json(Report r) {
        ObjectNode root = JSON.createObjectNode().put("route", r.route()).put("candidate", r.candidate())
                .put("window_seconds", r.window().toSeconds()).put("scorer", r.scorer()).put("gate", r.gate())
                .put("answers", r.answers()).put("passed", r.passed()).put("failed_calls", r.failedCalls())
                .put("pass_rate", r.passRate()).put("ci95_low", r.ciLow()).put("ci95_high", r.ciHigh())
                .put("production_cost_usd", r.productionCostUsd()).put("candidate_cost_usd", r.candidateCostUsd())
                .put("judge_calls", r.judgeCalls()).put("judge_cost_usd", r.judgeCostUsd()).put("judge_cost_all_usd", r.judgeCostAllUsd());
        if (Double.isNaN(r.productionP50Ms())) root.putNull("production_p50_ms"); else root.put("production_p50_ms", r.productionP50Ms());
        if (Double.isNaN(r.candidateP50Ms())) root.putNull("candidate_p50_ms"); else root.put("candidate_p50_ms", r.candidateP50Ms());
        root.put("verdict", r.answers() == 0 ? null : r.passes() ? "pass" : "fail");
        if (r.saving() != null) {
            root.putObject("switch_saving").put("route_requests", r.saving().requests())
                    .put("route_cost_usd", r.saving().routeCostUsd()).put("saving_usd", r.saving().savingUsd())
                    .put("saving_usd_per_month", r.monthlySaving());
        } else {
            root.putNull("switch_saving");
        }
        root.put("summary", sentence(r));
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static BigDecimal perRequest(BigDecimal total, int n) {
        return n == 0 ? null : total.divide(BigDecimal.valueOf(n), EvalReport.SCALE, RoundingMode.HALF_UP).stripTrailingZeros();
    }

    private static String millis(double ms) {
        return Double.isNaN(ms) ? "-" : Long.toString(Math.round(ms));
    }

    /** "3 days", "12 hours", "90 minutes". */
    static String span(Duration d) {
        if (d.toMinutes() % (24 * 60) == 0) return plural(d.toDays(), "day");
        if (d.toMinutes() % 60 == 0) return plural(d.toHours(), "hour");
        return plural(d.toMinutes(), "minute");
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
    }
}
