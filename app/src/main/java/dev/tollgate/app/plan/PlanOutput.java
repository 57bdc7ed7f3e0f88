package dev.tollgate.app.plan;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.planner.report.Table;

import java.io.PrintStream;
import java.util.List;
import java.util.regex.Pattern;

/** Prints planner tables: aligned for a terminal, or as CSV or JSON for other tools. */
public final class PlanOutput {

    public enum Format { TABLE, JSON, CSV }

    private static final Pattern NUMERIC = Pattern.compile("^[-+]?\\$?[-+]?[0-9.,]+(%|x| GPUs?)?( \\([-+]?\\$?[0-9.,]+(%|x)\\))?$");

    private PlanOutput() {
    }

    public static void print(List<Table> tables, Format format, PrintStream out) {
        switch (format) {
            case TABLE -> tables.forEach(t -> printTable(t, out));
            case CSV -> tables.forEach(t -> printCsv(t, out));
            case JSON -> printJson(tables, out);
        }
        out.flush();
    }

    static void printTable(Table t, PrintStream out) {
        int n = t.columns().size();
        int[] width = new int[n];
        for (int i = 0; i < n; i++) width[i] = t.columns().get(i).length();
        for (List<String> row : t.rows()) for (int i = 0; i < n; i++) width[i] = Math.max(width[i], row.get(i).length());
        out.println(t.title());
        StringBuilder rule = new StringBuilder();
        out.println(line(t.columns(), width, t));
        for (int i = 0; i < n; i++) rule.append(i == 0 ? "" : "  ").append("-".repeat(width[i]));
        out.println(rule);
        for (List<String> row : t.rows()) out.println(line(row, width, t));
        for (String note : t.notes()) out.println("  " + note);
        out.println();
    }

    private static String line(List<String> cells, int[] width, Table t) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) b.append("  ");
            String c = cells.get(i);
            boolean right = i > 0 && isNumericColumn(t, i);
            String pad = " ".repeat(width[i] - c.length());
            b.append(right ? pad + c : c + (i == cells.size() - 1 ? "" : pad));
        }
        return b.toString();
    }

    private static boolean isNumericColumn(Table t, int i) {
        return !t.rows().isEmpty() && t.rows().stream().allMatch(r -> r.get(i).isEmpty() || NUMERIC.matcher(r.get(i).replace(" - ", "").replace(" (best)", "")).matches());
    }

    static void printCsv(Table t, PrintStream out) {
        out.println("# " + t.title());
        List<String> header = new java.util.ArrayList<>();
        for (int i = 0; i < t.columns().size(); i++) {
            if (isRangeColumn(t, i)) {
                header.add(t.columns().get(i) + " low");
                header.add(t.columns().get(i) + " high");
            } else {
                header.add(t.columns().get(i));
            }
        }
        out.println(csv(header));
        for (int r = 0; r < t.rows().size(); r++) out.println(csv(exact(t, r)));
        out.println();
    }

    /** Whether a column holds intervals: printed as two columns of numbers in CSV and two fields in JSON. */
    private static boolean isRangeColumn(Table t, int i) {
        return t.values().stream().anyMatch(r -> r.get(i) instanceof Table.Range);
    }

    /** A row's cells, each as its exact value where it has one (plain decimal), else its text; intervals as two cells. */
    private static List<String> exact(Table t, int r) {
        List<String> cells = new java.util.ArrayList<>();
        for (int i = 0; i < t.columns().size(); i++) {
            Object v = t.values().get(r).get(i);
            if (isRangeColumn(t, i)) {
                cells.add(v instanceof Table.Range range ? exact(range.low()).toPlainString() : "");
                cells.add(v instanceof Table.Range range ? exact(range.high()).toPlainString() : "");
                continue;
            }
            if (v instanceof Double x && Double.isFinite(x)) v = Table.decimal(x);
            cells.add(v instanceof java.math.BigDecimal d ? exact(d).toPlainString() : v != null ? v.toString() : t.rows().get(r).get(i));
        }
        return cells;
    }

    /** To the ledger's precision, twelve decimal places (a millionth of a millionth of a dollar). */
    private static java.math.BigDecimal exact(java.math.BigDecimal d) {
        java.math.BigDecimal v = d.setScale(12, java.math.RoundingMode.HALF_EVEN).stripTrailingZeros();
        return v.scale() < 0 ? v.setScale(0) : v;
    }

    private static String csv(List<String> cells) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) b.append(',');
            String c = cells.get(i);
            if (c.contains(",") || c.contains("\"") || c.contains("\n")) c = "\"" + c.replace("\"", "\"\"") + "\"";
            b.append(c);
        }
        return b.toString();
    }

    static void printJson(List<Table> tables, PrintStream out) {
        // exact decimals as plain JSON numbers (no exponent)
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .enable(com.fasterxml.jackson.core.JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
        ObjectNode root = json.createObjectNode();
        ArrayNode list = root.putArray("tables");
        for (Table t : tables) {
            ObjectNode o = list.addObject();
            o.put("title", t.title());
            ArrayNode cols = o.putArray("columns");
            for (int i = 0; i < t.columns().size(); i++) {
                if (isRangeColumn(t, i)) cols.add(t.columns().get(i) + " low").add(t.columns().get(i) + " high");
                else cols.add(t.columns().get(i));
            }
            ArrayNode rows = o.putArray("rows");
            for (int k = 0; k < t.rows().size(); k++) {
                ObjectNode r = rows.addObject();
                for (int i = 0; i < t.columns().size(); i++) {
                    Object v = t.values().get(k).get(i);
                    String column = t.columns().get(i);
                    if (v instanceof Table.Range range) {
                        r.put(column + " low", exact(range.low()));
                        r.put(column + " high", exact(range.high()));
                    } else if (isRangeColumn(t, i)) {
                        r.putNull(column + " low");
                        r.putNull(column + " high");
                    } else if (v instanceof java.math.BigDecimal d) r.put(column, exact(d));
                    else if (v instanceof Long l) r.put(column, l);
                    else if (v instanceof Integer n) r.put(column, n);
                    else if (v instanceof Double x) {
                        if (Double.isFinite(x)) r.put(column, Table.decimal(x)); // never 0.30000000000000004
                        else r.putNull(column);
                    }
                    else r.put(column, t.rows().get(k).get(i));
                }
            }
            ArrayNode notes = o.putArray("notes");
            t.notes().forEach(notes::add);
        }
        try {
            out.println(json.writeValueAsString(root));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
