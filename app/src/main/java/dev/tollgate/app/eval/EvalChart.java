package dev.tollgate.app.eval;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Cost against quality: each candidate a point (cost per request, pass rate), the gate a line. PNG or SVG by extension. */
final class EvalChart {

    private EvalChart() {
    }

    static void write(EvalReport report, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(560).title("Cost vs quality")
                .xAxisTitle("cost per request (USD)").yAxisTitle("pass rate (%)").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(10);
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        double maxCost = 0;
        for (EvalReport.ModelSummary m : report.models()) {
            if (m.costPerRequest() == null) continue;
            double cost = m.costPerRequest().doubleValue(); // a chart coordinate, not money arithmetic
            maxCost = Math.max(maxCost, cost);
            chart.addSeries(m.model() + (m.passes() ? " (passes)" : ""), new double[]{cost}, new double[]{m.passRate() * 100});
        }
        XYSeries gate = chart.addSeries("gate " + EvalOutput.percent(report.gate()), new double[]{0, maxCost * 1.1 + 1e-12},
                new double[]{report.gate() * 100, report.gate() * 100});
        gate.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        gate.setMarker(SeriesMarkers.NONE);
        gate.setLineColor(Color.GRAY);
        if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".svg")) {
            VectorGraphicsEncoder.saveVectorGraphic(chart, file.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        } else {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
