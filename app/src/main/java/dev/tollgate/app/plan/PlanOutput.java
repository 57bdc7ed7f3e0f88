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
        out.println(csv(t.columns()));
        for (List<String> row : t.rows()) out.println(csv(row));
        out.println();
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
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        ArrayNode list = root.putArray("tables");
        for (Table t : tables) {
            ObjectNode o = list.addObject();
            o.put("title", t.title());
            ArrayNode cols = o.putArray("columns");
            t.columns().forEach(cols::add);
            ArrayNode rows = o.putArray("rows");
            for (List<String> row : t.rows()) {
                ObjectNode r = rows.addObject();
                for (int i = 0; i < row.size(); i++) r.put(t.columns().get(i), row.get(i));
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
