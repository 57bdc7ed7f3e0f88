package dev.tollgate.app.plan;

import dev.tollgate.planner.report.Table;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A double that reaches the output, as a cell's value or a bare number, is printed rounded in JSON and CSV. */
class PlanOutputTest {

    private static String print(PlanOutput.Format format) {
        Table t = Table.builder("steps", "name", "step", "rate").row("a", Table.Cell.measure(0.1 + 0.2, " ms"), 0.1 + 0.2).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PlanOutput.print(List.of(t), format, new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void jsonGivesTheRoundedNumber() {
        String json = print(PlanOutput.Format.JSON);
        assertThat(json).contains("\"step\" : 0.3,").contains("\"rate\" : 0.3").doesNotContain("0.30000000000000004");
    }

    @Test
    void csvGivesTheRoundedNumber() {
        assertThat(print(PlanOutput.Format.CSV)).contains("a,0.3,0.3").doesNotContain("0.30000000000000004");
    }
}
