package dev.tollgate.gateway.audit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;

import java.math.BigDecimal;
import java.util.Map;

/** The prompt audit as the JSON that {@code GET /admin/audit} returns and {@code tollgate audit} prints. */
public final class AuditJson {

    private AuditJson() {
    }

    public static ObjectNode of(PromptAudit.Report report) {
        ObjectNode root = Json.object();
        ObjectNode window = root.putObject("window");
        window.put("from", report.from() == null ? null : report.from().toString());
        window.put("to", report.to() == null ? null : report.to().toString());
        window.put("requests", report.requests());
        window.put("month_factor", report.monthFactor());
        BigDecimal total = BigDecimal.ZERO;
        for (PromptAudit.Finding f : report.findings()) total = total.add(f.monthlySavingUsd());
        root.put("monthly_saving_usd", PromptAudit.plain(total));
        ArrayNode findings = root.putArray("findings");
        for (PromptAudit.Finding f : report.findings()) {
            ObjectNode n = findings.addObject();
            n.put("type", f.type());
            n.put("group", f.group());
            if (f.model() != null) n.put("model", f.model());
            n.put("recommendation", f.recommendation());
            n.put("requests", f.requests());
            n.put("token_reduction_pct", f.tokenReductionPct());
            n.put("observed_saving_usd", f.observedSavingUsd());
            n.put("monthly_saving_usd", f.monthlySavingUsd());
            ObjectNode evidence = n.putObject("evidence");
            for (Map.Entry<String, Object> e : f.evidence().entrySet()) evidence.putPOJO(e.getKey(), e.getValue());
        }
        ArrayNode shares = root.putArray("token_shares");
        for (PromptAudit.TokenShare s : report.shares()) {
            ObjectNode n = shares.addObject();
            n.put("group", s.group());
            n.put("requests", s.requests());
            n.put("system_tokens", s.systemTokens());
            n.put("history_tokens", s.historyTokens());
            n.put("user_tokens", s.userTokens());
            n.put("system_pct", s.share(s.systemTokens()));
            n.put("history_pct", s.share(s.historyTokens()));
            n.put("user_pct", s.share(s.userTokens()));
        }
        ArrayNode templates = root.putArray("templates");
        for (PromptAudit.Template t : report.templates()) {
            ObjectNode n = templates.addObject();
            n.put("kind", t.kind());
            n.put("template", t.template());
            n.put("requests", t.requests());
            n.put("input_tokens", t.inputTokens());
            n.put("output_tokens", t.outputTokens());
            n.put("cost_usd", PromptAudit.plain(t.costUsd()));
        }
        return root;
    }
}
