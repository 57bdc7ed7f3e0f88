package dev.tollgate.app;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StartupTimesTest {

    // 2026-12-07T01:00:00Z in epoch ms
    private static final long T = 1_796_605_200_000L;

    @Test
    void countsFromTheLauncherWhenItSaysWhenItBeganAndStartedJava() {
        // the launcher began at T, started java 40.5 ms later; the command runs 210 ms after T
        StartupTimes times = new StartupTimes("1796605200.000000 1796605200.040500", T - 5_000, T + 210);
        times.stage("configuration", null, T + 400);
        times.stage("ledger", "open", T + 650);

        assertThat(times.line()).isEqualTo(
                "started in 650 ms: launcher 40 ms, JVM and command line 170 ms, configuration 190 ms, ledger 250 ms (open)");
    }

    @Test
    void aDecimalCommaIsReadToo() {
        StartupTimes times = new StartupTimes("1796605200,000000 1796605200,100000", T, T + 300);

        assertThat(times.line()).isEqualTo("started in 300 ms: launcher 100 ms, JVM and command line 200 ms");
    }

    @Test
    void withoutTheLauncherItCountsFromTheProcessStart() {
        for (String launch : new String[]{null, "", " ", "1796605200.0", "soon later", "1796605300.0 1796605200.0"}) {
            StartupTimes times = new StartupTimes(launch, T - 120, T);
            times.stage("verticles", null, T + 30);

            assertThat(times.line()).as(String.valueOf(launch))
                    .isEqualTo("started in 150 ms: JVM and command line 120 ms, verticles 30 ms");
        }
    }
}
