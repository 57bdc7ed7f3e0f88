package dev.tollgate.app.plan;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Charts a person can read: axes that end at round numbers, steep lines cut at the top, SVGs of a sensible size. */
class PlanChartsTest {

    @TempDir
    Path dir;

    @Test
    void axesEndAtTheNextRoundNumber() {
        assertThat(PlanCharts.round(1_847_883)).isEqualTo(2_000_000);
        assertThat(PlanCharts.round(2_000_000)).isEqualTo(2_000_000);
        assertThat(PlanCharts.round(2_100_000)).isEqualTo(2_500_000);
        assertThat(PlanCharts.round(46_198)).isEqualTo(50_000);
        assertThat(PlanCharts.round(0.7)).isEqualTo(1);
        assertThat(PlanCharts.round(120)).isEqualTo(200);
    }

    @Test
    void aLineLeavingTheTopEndsWhereItCrossesIt() {
        // y = 10x from 0 to 100: it reaches 250 at x = 25
        PlanCharts.Series steep = new PlanCharts.Series("steep", new double[] {0, 100}, new double[] {0, 1000});
        PlanCharts.Series cut = PlanCharts.clip(steep, 250);
        assertThat(cut.x()).containsExactly(0, 25);
        assertThat(cut.y()).containsExactly(0, 250);
        PlanCharts.Series flat = new PlanCharts.Series("flat", new double[] {0, 100}, new double[] {5, 5});
        assertThat(PlanCharts.clip(flat, 250)).isSameAs(flat);
    }

    @Test
    void theBuildVsBuyChartIsDrawnWithItsBreakEvensAndASmallSvg() throws Exception {
        Path charts = dir.resolve("charts");
        PlanCommandTest.Run r = PlanCommandTest.run("gpu", "--requests-per-day", "200000", "--data", dir.resolve("data").toString(),
                "--chart", charts.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        Path svg = charts.resolve("build-vs-buy.svg");
        String text = Files.readString(svg);
        assertThat(Files.size(svg)).isLessThan(400_000);
        assertThat(text).startsWith("<?xml").contains("<svg").doesNotContainPattern("\\d\\.\\d{2,}");
        assertThat(Files.size(charts.resolve("build-vs-buy.png"))).isGreaterThan(10_000);
    }
}
