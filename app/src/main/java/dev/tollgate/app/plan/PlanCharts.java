package dev.tollgate.app.plan;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Line charts of planner results, written as PNG and SVG side by side (XChart). */
public final class PlanCharts {

    /** One line: its x and y values. */
    public record Series(String name, double[] x, double[] y) {
    }

    private PlanCharts() {
    }

    /** Writes {@code dir/name.png} and {@code dir/name.svg}; returns the two paths. */
    public static List<Path> write(Path dir, String name, String title, String xTitle, String yTitle, List<Series> series)
            throws IOException {
        Files.createDirectories(dir);
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setXAxisDecimalPattern("#,##0.##");
        chart.getStyler().setYAxisDecimalPattern("#,##0.##");
        for (Series s : series) {
            XYSeries line = chart.addSeries(s.name(), s.x(), s.y());
            line.setMarker(SeriesMarkers.NONE);
        }
        Path png = dir.resolve(name + ".png");
        Path svg = dir.resolve(name + ".svg");
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(chart, svg.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        return List.of(png, svg);
    }

    /** Collects series by name, in insertion order. */
    public static final class Lines {
        private final Map<String, List<double[]>> points = new LinkedHashMap<>();

        public Lines add(String series, double x, double y) {
            points.computeIfAbsent(series, k -> new ArrayList<>()).add(new double[] {x, y});
            return this;
        }

        public List<Series> series() {
            List<Series> out = new ArrayList<>();
            points.forEach((name, pts) -> out.add(new Series(name, pts.stream().mapToDouble(p -> p[0]).toArray(),
                    pts.stream().mapToDouble(p -> p[1]).toArray())));
            return out;
        }
    }
}
