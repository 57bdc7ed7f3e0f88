package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.store.SpendQuery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tollgate report}: spend, or cost per successful outcome, by any dimension over a period. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Spend by any dimension over a period (or, with --outcomes, cost per successful outcome).",
                "Reads the ledger file, or asks the running gateway when it holds the file."})
final class ReportCommand implements Callable<Integer> {

    enum Format { TABLE, CSV, JSON }

    @Mixin
    LedgerOptions ledger = new LedgerOptions();

    @Option(names = "--since", description = "How far back: 30d, 12h, 2w, 45m, or a date/instant (default: all time).")
    String since;

    @Option(names = "--from", description = "Start (inclusive): 2026-11-01 or 2026-11-01T00:00:00Z. Instead of --since.")
    String from;

    @Option(names = "--to", description = "End (exclusive), as --from.")
    String to;

    @Option(names = "--by", split = ",", paramLabel = "DIM",
            description = "Group by these dimensions: a tag (team, feature, …) or key, model, provider, deployment, api,"
                    + " status, status_class, price_version, requested_model.")
    List<String> by = List.of();

    @Option(names = "--bucket", description = "Also split by time: hour, day, week or month.")
    String bucket;

    @Option(names = {"--filter", "-f"}, paramLabel = "DIM=VALUE", description = "Only rows where DIM equals VALUE (repeatable).")
    Map<String, String> filters = new LinkedHashMap<>();

    @Option(names = "--outcomes", description = "Cost per successful outcome (default grouping: feature, model).")
    boolean outcomes;

    @Option(names = "--format", defaultValue = "table", description = "table, csv or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> params = new LinkedHashMap<>(filters);
        for (String reserved : List.of("group_by", "bucket", "since", "from", "to", "format")) {
            if (params.containsKey(reserved)) {
                err.println("report: '" + reserved + "' is an option, not a filter");
                return 2;
            }
        }
        if (!by.isEmpty()) params.put("group_by", String.join(",", by));
        if (bucket != null) params.put("bucket", bucket);
        if (since != null) params.put("since", since);
        if (from != null) params.put("from", from);
        if (to != null) params.put("to", to);
        try (LedgerReader reader = LedgerReader.open(ledger)) {
            JsonNode body = outcomes ? reader.outcomes(params) : reader.spend(params);
            out.print(ReportFormat.render(body, outcomes, format));
            out.flush();
            for (String tag : unusedTags(body)) {
                err.println("report: no request in this period carries the tag '" + tag + "', so all of it is under (none)");
            }
            return 0;
        } catch (LedgerReader.Failure | IllegalArgumentException e) {
            err.println("report: " + e.getMessage());
            return e instanceof IllegalArgumentException ? 2 : 1;
        } catch (IllegalStateException e) {
            err.println("report: " + e.getMessage());
            return 1;
        }
    }

    /** The tags grouped by that no row of the report has (a misspelt or unused tag), when there are rows. */
    List<String> unusedTags(JsonNode body) {
        JsonNode rows = body.path("rows");
        if (rows.isEmpty()) return List.of();
        List<String> unused = new java.util.ArrayList<>();
        for (String dim : outcomes && by.isEmpty() ? List.of("feature") : by) {
            if (SpendQuery.COLUMNS.contains(dim)) continue;
            boolean carried = false;
            for (JsonNode row : rows) carried |= row.hasNonNull(dim);
            if (!carried) unused.add(dim);
        }
        return unused;
    }
}
