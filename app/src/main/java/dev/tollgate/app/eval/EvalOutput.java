package dev.tollgate.app.eval;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** An {@link EvalReport} as an aligned table with a few sentences under it, or as JSON (exact decimals). */
final class EvalOutput {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
    private static final String[] COLUMNS = {"model", "answers", "pass rate", "95% CI", "cost/request", "cost/pass",
            "p50 ms", "p95 ms", "verdict"};

    private EvalOutput() {
    }

    static String table(EvalReport report, String judgeModel, Savings savings) {
        List<String[]> rows = new ArrayList<>();
        rows.add(COLUMNS);
        for (EvalReport.ModelSummary m : report.models()) {
            rows.add(new String[]{m.model(), Integer.toString(m.answered()), percent(m.passRate()),
                    percent(m.ciLow()) + "-" + percent(m.ciHigh()), dollars(m.costPerRequest()), dollars(m.costPerPass()),
                    millis(m.p50Ms()), millis(m.p95Ms()), m.answered() == 0 ? "-" : m.passes() ? "PASS" : "FAIL"});
        }
        int[] width = new int[COLUMNS.length];
        for (String[] row : rows) for (int i = 0; i < row.length; i++) width[i] = Math.max(width[i], row[i].length());
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                if (i > 0) line.append("  ");
                boolean left = i == 0 || i == row.length - 1;
                line.append(left ? pad(row[i], width[i]) : " ".repeat(width[i] - row[i].length()) + row[i]);
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        out.append('\n');
        out.append("Gate: ").append(percent(report.gate())).append(" of answers pass. ");
        EvalReport.ModelSummary cheapest = report.models().stream()
                .filter(m -> m.model().equals(report.cheapestPassing())).findFirst().orElse(null);
        out.append(cheapest == null ? "No candidate passes the gate."
                : "Cheapest model that passes: " + cheapest.model() + " (" + dollars(cheapest.costPerRequest()) + " per request).").append('\n');
        BigDecimal judgeCost = report.models().stream().map(EvalReport.ModelSummary::judgeCostUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
        if (judgeModel != null && judgeCost.signum() > 0) {
            out.append("The judge (").append(judgeModel).append(") cost ").append(dollars(judgeCost)).append(" in all.\n");
        }
        Agreement a = report.judgeAgreement();
        if (a != null) {
            out.append("Judge vs people: ").append(percent(a.rate())).append(" agreement on ").append(a.answers())
                    .append(" labelled answers, Cohen's kappa ").append(Double.isNaN(a.kappa()) ? "undefined" : String.format(Locale.ROOT, "%.2f", a.kappa()))
                    .append(".\n");
        }
        if (savings != null) {
            out.append("Switching ").append(savings.route()).append(" to ").append(savings.to()).append(" would have saved ")
                    .append(dollars(savings.savingUsd())).append(" over the last ").append(savings.days()).append(" days (")
                    .append(savings.requests()).append(" requests in the ledger).\n");
            if (savings.unpriced() > 0) {
                out.append(savings.unpriced()).append(" requests could not be priced on ").append(savings.to()).append(" and count at their recorded cost.\n");
            }
        }
        if (report.pending() > 0) out.append(incomplete(report));
        return out.toString();
    }

    /**
     * "Incomplete: 12 answers missing: 12 refused by budget 'eval' (limit reached); raise it or wait for its period,
     * then run the same command again." Answers only not asked yet keep it short; several reasons take a line each.
     */
    static String incomplete(EvalReport report) {
        List<EvalReport.Missing> missing = report.missing();
        StringBuilder out = new StringBuilder("Incomplete: ").append(report.pending()).append(" answers missing");
        if (missing.size() == 1 && missing.getFirst().why().equals(EvalReport.NOT_ASKED)) {
            return out.append("; run the same command again to complete them.\n").toString();
        }
        if (missing.size() == 1) return out.append(": ").append(reason(missing.getFirst())).append(".\n").toString();
        out.append(":\n");
        for (EvalReport.Missing m : missing) out.append("  ").append(reason(m)).append(".\n");
        return out.toString();
    }

    private static String reason(EvalReport.Missing m) {
        return m.answers() + " " + m.why() + "; " + m.advice();
    }

    static String json(EvalReport report, String judgeModel, Savings savings) {
        ObjectNode root = JSON.createObjectNode().put("gate", report.gate());
        ArrayNode models = root.putArray("models");
        for (EvalReport.ModelSummary m : report.models()) {
            ObjectNode n = models.addObject().put("model", m.model()).put("answers", m.answered()).put("passed", m.passed())
                    .put("pass_rate", m.passRate()).put("ci95_low", m.ciLow()).put("ci95_high", m.ciHigh())
                    .put("cost_usd", m.costUsd()).put("cost_per_request_usd", m.costPerRequest())
                    .put("cost_per_pass_usd", m.costPerPass()).put("judge_cost_usd", m.judgeCostUsd());
            if (Double.isNaN(m.p50Ms())) n.putNull("p50_ms").putNull("p95_ms");
            else n.put("p50_ms", m.p50Ms()).put("p95_ms", m.p95Ms());
            n.put("failed_calls", m.failedCalls()).put("verdict", m.answered() == 0 ? null : m.passes() ? "pass" : "fail");
        }
        root.put("cheapest_passing", report.cheapestPassing());
        if (judgeModel != null) root.put("judge", judgeModel);
        Agreement a = report.judgeAgreement();
        if (a != null) {
            ObjectNode n = root.putObject("judge_agreement").put("answers", a.answers()).put("agreed", a.agreed()).put("rate", a.rate());
            if (Double.isNaN(a.kappa())) n.putNull("kappa");
            else n.put("kappa", a.kappa());
        }
        if (savings != null) {
            root.putObject("switch_saving").put("route", savings.route()).put("to", savings.to()).put("days", savings.days())
                    .put("requests", savings.requests()).put("saving_usd", savings.savingUsd()).put("unpriced", savings.unpriced());
        }
        root.put("pending", report.pending());
        ArrayNode missing = root.putArray("missing");
        for (EvalReport.Missing m : report.missing()) {
            ObjectNode n = missing.addObject().put("answers", m.answers()).put("why", m.why()).put("advice", m.advice())
                    .put("rerun_completes", m.rerunCompletes());
            if (m.failure() != null) {
                n.put("status", m.failure().status());
                if (m.failure().budget() != null) n.put("budget", m.failure().budget());
            }
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f%%", share * 100);
    }

    static String dollars(BigDecimal usd) {
        if (usd == null) return "-";
        return "$" + usd.setScale(8, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    }

    private static String millis(double ms) {
        return Double.isNaN(ms) ? "-" : Long.toString(Math.round(ms));
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(width - s.length());
    }
}
