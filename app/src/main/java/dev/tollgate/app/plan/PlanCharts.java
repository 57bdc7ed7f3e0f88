package dev.tollgate.app.plan;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Line charts of planner results, written as PNG and SVG side by side (XChart): colours a reader can tell apart
 * (the Okabe-Ito palette, safe for colour-blind readers), axes that end at round numbers, and marked points.
 */
public final class PlanCharts {

    /** One line: its x and y values. */
    public record Series(String name, double[] x, double[] y) {
    }

    /** A point worth pointing at (where two lines cross), drawn as a dot; its label is for the reader of the code. */
    public record Mark(String label, double x, double y) {
    }

    /** What to draw: the lines, the marks, and the y value above which lines are cut off (null: all of them). */
    public record Spec(String title, String xTitle, String yTitle, List<Series> series, List<Mark> marks, Double yMax) {
        public Spec(String title, String xTitle, String yTitle, List<Series> series) {
            this(title, xTitle, yTitle, series, List.of(), null);
        }
    }

    private static final Color[] PALETTE = {new Color(0, 0, 0), new Color(230, 159, 0), new Color(86, 180, 233),
            new Color(0, 158, 115), new Color(213, 94, 0), new Color(0, 114, 178), new Color(204, 121, 167), new Color(240, 228, 66)};

    private static final Pattern EXCESS_DIGITS = Pattern.compile("(\\d\\.\\d)\\d+");

    private PlanCharts() {
    }

    /** Writes {@code dir/name.png} and {@code dir/name.svg}; returns the two paths. */
    public static List<Path> write(Path dir, String name, String title, String xTitle, String yTitle, List<Series> series)
            throws IOException {
        return write(dir, name, new Spec(title, xTitle, yTitle, series));
    }

    /** Writes {@code dir/name.png} and {@code dir/name.svg}; returns the two paths. */
    public static List<Path> write(Path dir, String name, Spec spec) throws IOException {
        Files.createDirectories(dir);
        XYChart chart = new XYChartBuilder().width(1000).height(640).title(spec.title()).xAxisTitle(spec.xTitle())
                .yAxisTitle(spec.yTitle()).build();
        var styler = chart.getStyler();
        styler.setLegendPosition(spec.marks().isEmpty() ? Styler.LegendPosition.InsideNW : Styler.LegendPosition.OutsideS);
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setSeriesColors(PALETTE);
        styler.setXAxisDecimalPattern("#,##0.##");
        styler.setYAxisDecimalPattern("#,##0.##");
        double xMax = 0;
        for (Series s : spec.series()) for (double x : s.x()) xMax = Math.max(xMax, x);
        if (xMax > 0) {
            styler.setXAxisMin(0.0);
            styler.setXAxisMax(round(xMax));
        }
        if (spec.yMax() != null) {
            styler.setYAxisMin(0.0);
            styler.setYAxisMax(round(spec.yMax()));
        }
        for (Series s : spec.series()) {
            Series shown = spec.yMax() == null ? s : clip(s, round(spec.yMax()));
            XYSeries line = chart.addSeries(shown.name(), shown.x(), shown.y());
            line.setMarker(SeriesMarkers.NONE);
            line.setLineWidth(2f);
        }
        if (!spec.marks().isEmpty()) {
            XYSeries dots = chart.addSeries("break-even", spec.marks().stream().mapToDouble(Mark::x).toArray(),
                    spec.marks().stream().mapToDouble(Mark::y).toArray());
            dots.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            dots.setMarker(SeriesMarkers.CIRCLE);
            dots.setMarkerColor(Color.BLACK);
        }
        Path png = dir.resolve(name + ".png");
        Path svg = dir.resolve(name + ".svg");
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        ByteArrayOutputStream vector = new ByteArrayOutputStream();
        VectorGraphicsEncoder.saveVectorGraphic(chart, vector, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        // XChart draws text as glyph outlines with nine-digit coordinates; a tenth of a pixel is as sharp and a third the size
        Files.writeString(svg, EXCESS_DIGITS.matcher(vector.toString(StandardCharsets.UTF_8)).replaceAll("$1"));
        return List.of(png, svg);
    }

    /** The next round number at or above {@code v}: 1, 2, 2.5 or 5 times a power of ten, so the ticks are round. */
    static double round(double v) {
        double power = Math.pow(10, Math.floor(Math.log10(v)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * power >= v) return step * power;
        }
        return 10 * power;
    }

    /**
     * The line up to where it first leaves the chart's top (its end point interpolated onto the edge), so a steep line
     * ends at the edge instead of stretching the axis until the interesting part is a flat smear at the bottom.
     */
    static Series clip(Series s, double yMax) {
        double[] x = s.x(), y = s.y();
        int n = 0;
        while (n < y.length && y[n] <= yMax) n++;
        if (n == y.length) return s;
        double[] cx = java.util.Arrays.copyOf(x, n + (n > 0 ? 1 : 0));
        double[] cy = java.util.Arrays.copyOf(y, cx.length);
        if (n > 0) {
            double t = (yMax - y[n - 1]) / (y[n] - y[n - 1]);
            cx[n] = x[n - 1] + t * (x[n] - x[n - 1]);
            cy[n] = yMax;
        }
        return new Series(s.name(), cx, cy);
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
