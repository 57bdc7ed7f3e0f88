package dev.tollgate.app.plan;

import dev.tollgate.planner.report.Table;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/** Options every plan command shares: how to print, and where charts go. */
public final class OutputOptions {

    @Option(names = "--format", defaultValue = "table", description = "table, json or csv (default: ${DEFAULT-VALUE}).")
    PlanOutput.Format format;

    @Option(names = "--chart", paramLabel = "DIR", description = "Also draw the charts, as PNG and SVG, into this directory.")
    Path chartDir;

    void print(List<Table> tables) {
        PlanOutput.print(tables, format, System.out);
    }

    /** Draws a chart when --chart was given, and says where it went (on stderr, to keep stdout parseable). */
    void chart(String name, String title, String xTitle, String yTitle, List<PlanCharts.Series> series) throws Exception {
        chart(name, new PlanCharts.Spec(title, xTitle, yTitle, series));
    }

    /** As above, for a chart with marked points or a cut-off top. */
    void chart(String name, PlanCharts.Spec spec) throws Exception {
        if (chartDir == null) return;
        List<Path> files = PlanCharts.write(chartDir, name, spec);
        System.err.println("chart: " + files.get(0) + " and " + files.get(1));
    }
}
