package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;

import java.util.ArrayList;
import java.util.List;

/**
 * A report's JSON (the admin API's shape) as a table for people, CSV for spreadsheets, or the JSON itself. Money is
 * printed exactly as the ledger holds it, never rounded.
 */
final class ReportFormat {

    private static final List<String> SPEND = List.of("requests", "input_tokens", "cached_input_tokens",
            "cache_write_tokens", "output_tokens", "reasoning_tokens", "cost_usd");
    private static final List<String> SPEND_TABLE = List.of("requests", "input_tokens", "output_tokens", "cost_usd");
    private static final List<String> OUTCOMES = List.of("requests", "cost_usd", "outcomes", "successes", "success_rate",
            "cost_per_success_usd", "value_usd");

    private ReportFormat() {
    }

    static String render(JsonNode body, boolean outcomes, ReportCommand.Format format) {
        List<String> groups = new ArrayList<>();
        if (body.hasNonNull("bucket")) groups.add(body.path("bucket").asText());
        body.path("group_by").forEach(g -> { if (!groups.contains(g.asText())) groups.add(g.asText()); });
        return switch (format) {
            case JSON -> Json.text(body) + System.lineSeparator();
            case CSV -> csv(body, groups, outcomes ? OUTCOMES : SPEND);
            case TABLE -> table(body, groups, outcomes ? OUTCOMES : spendTable(body)) + (outcomes ? "" : notes(body));
        };
    }

    /**
     * The table's spend columns: {@code attempts} beside {@code requests} when some request took several calls
     * (retries, fallbacks, a cascade's escalations), {@code saved_usd} when anything was saved (or lost) against a
     * baseline: cache, downgrades, tiers.
     */
    private static List<String> spendTable(JsonNode body) {
        JsonNode total = body.path("total");
        List<String> columns = new ArrayList<>(SPEND_TABLE);
        if (total.has("attempts") && total.path("attempts").asLong() != total.path("requests").asLong()) columns.add(1, "attempts");
        boolean saved = total.path("saved_usd").isNumber() && total.path("saved_usd").decimalValue().signum() != 0;
        for (JsonNode row : body.path("rows")) saved |= row.path("saved_usd").isNumber() && row.path("saved_usd").decimalValue().signum() != 0;
        if (saved) columns.add("saved_usd");
        return columns;
    }

    /** A line under the table for a negative saving, so it is not read as a typo. */
    private static String notes(JsonNode body) {
        boolean negative = false;
        for (JsonNode row : body.path("rows")) negative |= row.path("saved_usd").isNumber() && row.path("saved_usd").decimalValue().signum() < 0;
        negative |= body.path("total").path("saved_usd").isNumber() && body.path("total").path("saved_usd").decimalValue().signum() < 0;
        return negative ? "saved_usd < 0: those calls cost more than the baseline model would have (a cascade paid for a cheaper"
                + " answer it threw away, then for the one that stood)\n" : "";
    }

    private static String csv(JsonNode body, List<String> groups, List<String> measures) {
        StringBuilder out = new StringBuilder();
        List<String> header = new ArrayList<>(groups);
        header.addAll(measures);
        out.append(String.join(",", header.stream().map(ReportFormat::csvField).toList())).append('\n');
        for (JsonNode row : body.path("rows")) {
            List<String> cells = new ArrayList<>();
            for (String column : header) cells.add(csvField(text(row.get(column))));
            out.append(String.join(",", cells)).append('\n');
        }
        return out.toString();
    }

    private static String table(JsonNode body, List<String> groups, List<String> measures) {
        List<String> header = new ArrayList<>(groups);
        header.addAll(measures);
        List<List<String>> rows = new ArrayList<>();
        if (!groups.isEmpty()) { // an ungrouped report's one row is its total
            for (JsonNode row : body.path("rows")) rows.add(header.stream().map(c -> shown(row.get(c), groups.contains(c))).toList());
        }
        List<String> total = new ArrayList<>();
        for (int i = 0; i < header.size(); i++) {
            total.add(i < groups.size() ? (i == 0 ? "TOTAL" : "") : shown(body.path("total").get(header.get(i)), false));
        }
        int[] widths = new int[header.size()];
        for (List<String> line : concat(List.of(header), rows, List.of(total))) {
            for (int i = 0; i < line.size(); i++) widths[i] = Math.max(widths[i], line.get(i).length());
        }
        StringBuilder out = new StringBuilder();
        line(out, header, widths, groups.size());
        rule(out, widths);
        for (List<String> row : rows) line(out, row, widths, groups.size());
        if (!rows.isEmpty()) rule(out, widths);
        line(out, total, widths, groups.size());
        return out.toString();
    }

    @SafeVarargs
    private static List<List<String>> concat(List<List<String>>... parts) {
        List<List<String>> all = new ArrayList<>();
        for (List<List<String>> p : parts) all.addAll(p);
        return all;
    }

    /** Group columns left-aligned, numbers right-aligned. */
    private static void line(StringBuilder out, List<String> cells, int[] widths, int groups) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String cell = cells.get(i);
            String pad = " ".repeat(widths[i] - cell.length());
            line.append(i == 0 ? "" : "  ").append(i < groups ? cell + pad : pad + cell);
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    private static void rule(StringBuilder out, int[] widths) {
        for (int i = 0; i < widths.length; i++) out.append(i == 0 ? "" : "  ").append("-".repeat(widths[i]));
        out.append('\n');
    }

    private static String shown(JsonNode value, boolean group) {
        if (value == null || value.isNull()) return group ? "(none)" : "-";
        return text(value);
    }

    /** A JSON value as text; decimals in plain notation, never exponent form. */
    private static String text(JsonNode value) {
        if (value == null || value.isNull()) return "";
        if (value.isBigDecimal()) return value.decimalValue().toPlainString();
        return value.asText();
    }

    private static String csvField(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) return "\"" + s.replace("\"", "\"\"") + "\"";
        return s;
    }
}
