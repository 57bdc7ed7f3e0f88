package dev.tollgate.planner.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * One result table as text cells, so the CLI can print it aligned, as CSV or as JSON without knowing what it holds.
 * A cell made with {@link Cell} also carries its exact value (a number), which CSV and JSON output use instead of
 * the rounded text. Notes are sentences printed under the table (assumptions, warnings).
 *
 * @param values per row and column, the exact value behind the text, or null for text only
 */
public record Table(String title, List<String> columns, List<List<String>> rows, List<List<Object>> values,
                    List<String> notes) {

    /** Text shown in a table, and the exact value it was rounded from. */
    public record Cell(String text, Object value) {
        @Override
        public String toString() {
            return text;
        }

        /** A measure computed in floating point, shown and given as the same {@link #decimal} ("27.12 ms", 27.12). */
        public static Cell measure(double value, String unit) {
            BigDecimal shown = decimal(value);
            return new Cell(shown.toPlainString() + unit, shown);
        }
    }

    /**
     * A floating-point estimate as the decimal worth printing: two places from 1 up, three significant digits below
     * (0.1 + 0.2 is 0.3, not 0.30000000000000004; a rate of 0.04567 requests/s is 0.0457, not 0.05).
     */
    public static BigDecimal decimal(double value) {
        BigDecimal exact = BigDecimal.valueOf(value);
        return exact.abs().compareTo(BigDecimal.ONE) >= 0 ? exact.setScale(2, RoundingMode.HALF_EVEN)
                : exact.round(new MathContext(3, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }

    /**
     * The exact value of a cell that shows an interval ("$4,155.93 - $4,355.32"): CSV and JSON give it as two plain
     * numbers, in the columns "COLUMN low" and "COLUMN high".
     */
    public record Range(java.math.BigDecimal low, java.math.BigDecimal high) {
    }

    public Table {
        columns = List.copyOf(columns);
        rows = rows.stream().map(List::copyOf).toList();
        values = values.stream().map(r -> java.util.Collections.unmodifiableList(new ArrayList<>(r))).toList();
        notes = List.copyOf(notes);
    }

    public static Builder builder(String title, String... columns) {
        return new Builder(title, List.of(columns));
    }

    /** Collects rows and notes; each row must have one cell per column. */
    public static final class Builder {
        private final String title;
        private final List<String> columns;
        private final List<List<String>> rows = new ArrayList<>();
        private final List<List<Object>> values = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();

        private Builder(String title, List<String> columns) {
            this.title = title;
            this.columns = columns;
        }

        public Builder row(Object... cells) {
            if (cells.length != columns.size()) {
                throw new IllegalArgumentException("row has " + cells.length + " cells, table '" + title + "' has " + columns.size() + " columns");
            }
            List<String> row = new ArrayList<>(cells.length);
            List<Object> exact = new ArrayList<>(cells.length);
            for (Object c : cells) {
                row.add(c == null ? "" : c.toString());
                exact.add(c instanceof Cell cell ? cell.value() : c instanceof Number ? c : null);
            }
            rows.add(row);
            values.add(exact);
            return this;
        }

        public Builder note(String note) {
            notes.add(note);
            return this;
        }

        public Table build() {
            return new Table(title, columns, rows, values, notes);
        }
    }
}
