package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.audit.AuditEndpoint;
import dev.tollgate.gateway.audit.AuditJson;
import dev.tollgate.gateway.audit.PromptAudit;
import dev.tollgate.store.Ledger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code tollgate audit}: the prompt audit. Reads the shared ledger in PostgreSQL with {@code --ledger}, else the ledger
 * file when no process holds it, else asks the gateway that does (DuckDB lets only one process open the file), as
 * {@code report} and {@code plan} do.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Prompt audit of the logged prompts (prompt_log: enabled): findings with monthly savings, where prompt tokens go, recurring templates.")
final class AuditCommand implements Callable<Integer> {

    enum Format { text, json }

    @Mixin
    GatewayOptions gateway = new GatewayOptions();

    @Mixin
    LedgerSource ledger = new LedgerSource();

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
            description = "Data directory of the ledger; while a gateway holds its file, that gateway is asked (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--since", defaultValue = "30d", description = "How far back: 30d, 12h, 90m (default: ${DEFAULT-VALUE}).")
    String since;

    @Option(names = "--group-tag", paramLabel = "TAG", defaultValue = "feature", description = "Tag findings are grouped by, when reading the file (default: ${DEFAULT-VALUE}).")
    String groupTag;

    @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Override
    public Integer call() throws Exception {
        Duration window;
        try {
            window = AuditEndpoint.since(since);
        } catch (IllegalArgumentException e) {
            System.err.println("tollgate audit: " + e.getMessage());
            return 2;
        }
        // PostgreSQL with --ledger, else the file itself when no gateway holds it, else the gateway that does
        JsonNode report;
        try {
            report = ledger.read(dataDir, l -> audit(l, PricesCommand.catalog(dataDir), Instant.now().minus(window), groupTag),
                    () -> gateway.link(dataDir).get("/admin/audit?since=" + URLEncoder.encode(since, StandardCharsets.UTF_8)));
        } catch (IllegalStateException | IllegalArgumentException e) {
            System.err.println("tollgate audit: " + e.getMessage());
            return 1;
        }
        if (format == Format.json) System.out.println(report.toPrettyString());
        else print(report, System.out);
        return 0;
    }

    /** The audit of the prompts logged since {@code from}, straight from a ledger's prompt log. */
    static ObjectNode audit(Ledger ledger, PriceCatalog catalog, Instant from, String groupTag) {
        var rows = ledger.prompts().audited(from, null, AuditEndpoint.DEFAULT_LIMIT);
        return AuditJson.of(new PromptAudit(catalog, groupTag).run(rows));
    }

    static void print(JsonNode r, PrintStream out) {
        JsonNode w = r.path("window");
        if (w.path("requests").asLong() == 0) {
            out.println("No logged prompts in this period. Prompt logging is opt-in: set prompt_log: {enabled: true} in the config.");
            return;
        }
        out.printf(Locale.ROOT, "Prompt audit of %d logged requests, %s to %s (monthly figures: observed × %s)%n%n",
                w.path("requests").asLong(), w.path("from").asText(), w.path("to").asText(), w.path("month_factor").asText());
        out.printf(Locale.ROOT, "Findings (≈ $%s/month in all)%n", PromptAudit.dollars(r.path("monthly_saving_usd").decimalValue()));
        int i = 1;
        for (JsonNode f : r.path("findings")) {
            out.printf(Locale.ROOT, "  %d. %-18s %s%n", i++, f.path("type").asText(), f.path("recommendation").asText());
        }
        if (i == 1) out.println("  none");
        out.printf(Locale.ROOT, "%nWhere prompt tokens go%n  %-28s %9s %9s %9s %9s%n", "group", "requests", "system", "history", "user");
        for (JsonNode s : r.path("token_shares")) {
            out.printf(Locale.ROOT, "  %-28s %9d %8.1f%% %8.1f%% %8.1f%%%n", s.path("group").asText(), s.path("requests").asLong(),
                    s.path("system_pct").asDouble(), s.path("history_pct").asDouble(), s.path("user_pct").asDouble());
        }
        out.printf(Locale.ROOT, "%nRecurring templates%n  %-6s %9s %10s %10s %12s  %s%n", "kind", "requests", "input", "output", "cost $", "template");
        for (JsonNode t : r.path("templates")) {
            String template = t.path("template").asText();
            if (template.length() > 70) template = template.substring(0, 69) + "…";
            out.printf(Locale.ROOT, "  %-6s %9d %10d %10d %12s  %s%n", t.path("kind").asText(), t.path("requests").asLong(),
                    t.path("input_tokens").asLong(), t.path("output_tokens").asLong(), t.path("cost_usd").decimalValue().toPlainString(), template);
        }
    }
}
