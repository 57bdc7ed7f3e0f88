package dev.tollgate.app;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * serve's start-up stage by stage, for the one line it logs once it listens ("started in …"; bench/start.sh prints
 * it). The launcher passes in {@value #LAUNCH_VARIABLE} when it began and when it started java (two bash
 * {@code EPOCHREALTIME}s, in seconds); without them (java run by hand, a bash before 5) the count starts with the
 * process.
 */
final class StartupTimes {

    static final String LAUNCH_VARIABLE = "TOLLGATE_LAUNCH";

    private final long begun;
    private long last;
    private final List<String> stages = new ArrayList<>();

    /** From {@code launch} (the launcher's variable, or null), {@code processStart} and {@code now} (epoch ms). */
    StartupTimes(String launch, long processStart, long now) {
        String[] times = launch == null ? new String[0] : launch.trim().split("\\s+");
        long launcherStart = times.length == 2 ? epochMillis(times[0]) : -1;
        long javaStart = times.length == 2 ? epochMillis(times[1]) : -1;
        if (launcherStart > 0 && javaStart >= launcherStart && javaStart <= now) {
            begun = launcherStart;
            stages.add("launcher " + (javaStart - launcherStart) + " ms");
            stages.add("JVM and command line " + (now - javaStart) + " ms");
        } else {
            begun = Math.min(processStart, now);
            stages.add("JVM and command line " + (now - begun) + " ms");
        }
        last = now;
    }

    /** Counting from now, for the process this runs in. */
    static StartupTimes now() {
        long now = System.currentTimeMillis();
        long processStart = ProcessHandle.current().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(now);
        return new StartupTimes(Main.environment.apply(LAUNCH_VARIABLE), processStart, now);
    }

    /** Ends the stage {@code name} at {@code now} (epoch ms), with {@code detail} after its time when not null. */
    void stage(String name, String detail, long now) {
        stages.add(name + " " + (now - last) + " ms" + (detail == null ? "" : " (" + detail + ")"));
        last = now;
    }

    void stage(String name, String detail) {
        stage(name, detail, System.currentTimeMillis());
    }

    /** "started in N ms: stage T ms, …", from the launcher's start (or the process's) to the last stage's end. */
    String line() {
        return "started in " + (last - begun) + " ms: " + String.join(", ", stages);
    }

    /** Epoch milliseconds from bash's EPOCHREALTIME (seconds; a comma in locales that write decimals so); -1 if not one. */
    private static long epochMillis(String seconds) {
        try {
            return new BigDecimal(seconds.replace(',', '.')).movePointRight(3).longValue();
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
