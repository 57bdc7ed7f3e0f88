package dev.tollgate.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Puts a thread at a low CPU priority (nice {@value #NICE}), for work that may wait (shadow calls and their recording):
 * where cores are short, the scheduler gives them to the event loops that serve clients first. Not the lowest (19):
 * there a thread gets about 1.5% of what a nice-0 thread gets when they compete, and on a machine at load 30 (the test
 * suite beside other builds) the shadow lane did not finish 20 calls in 20 s; at 10 it gets about a tenth, still
 * yielding to the clients without starving.
 *
 * <p>Linux keeps a nice value per thread, and a process may lower its own threads' priority without privileges. Java's
 * {@link Thread#setPriority} does not reach it (only with {@code -XX:ThreadPriorityPolicy=1}, which needs root), and the
 * project's Java 21 baseline has no final API for native calls, so this asks {@code renice} (util-linux, on every Linux
 * this runs on) once for the thread's id, in the background. Elsewhere, or without {@code renice}, the thread keeps its
 * priority and a warning says so. Threads the lowered one starts later inherit its nice value (Linux copies it).
 */
public final class BackgroundPriority {

    private static final Logger log = LoggerFactory.getLogger(BackgroundPriority.class);
    /** The nice value background threads run at (0 is the default, 19 the lowest). */
    public static final int NICE = 10;

    private BackgroundPriority() {
    }

    /** Lowers the calling thread to nice {@value #NICE}, a moment later (it returns at once). */
    public static void lowerCurrentThread() {
        if (!System.getProperty("os.name", "").startsWith("Linux")) return;
        String thread = Thread.currentThread().getName();
        String tid;
        try {
            // "PID/task/TID": the kernel's id of the calling thread
            tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
        } catch (IOException | RuntimeException e) {
            log.warn("thread {} keeps its CPU priority: {}", thread, e.toString());
            return;
        }
        Thread.ofPlatform().name("tollgate-renice").daemon(true).start(() -> renice(tid, thread));
    }

    private static void renice(String tid, String thread) {
        try {
            Process p = new ProcessBuilder("renice", "-n", String.valueOf(NICE), "-p", tid).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) log.warn("thread {} keeps its CPU priority: renice said {}", thread, out);
        } catch (IOException e) {
            log.warn("thread {} keeps its CPU priority: renice could not run ({})", thread, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
