package dev.tollgate.app;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * How long work shows its progress on stderr: a bar redrawn in place when stderr is a terminal, plain lines otherwise
 * (a log file or a pipe gets no ANSI codes and no carriage returns).
 */
public abstract class WorkProgress implements AutoCloseable {

    /** Work of a known size: the rows done so far. */
    public abstract void stepTo(long done);

    @Override
    public abstract void close();

    /** Progress over {@code total} rows, for {@code task} ("plan whatif"). */
    public static WorkProgress rows(String task, long total, PrintStream err) {
        return stderrIsTerminal() ? new Bar(task, total, err) : new Lines(task, total, err);
    }

    /**
     * Work of unknown size (one database statement): after a second, the time it has taken so far, redrawn each second
     * on a terminal, else a plain line every ten seconds.
     */
    public static WorkProgress elapsed(String task, String what, PrintStream err) {
        return new Elapsed(task, what, err, stderrIsTerminal());
    }

    /** Whether stderr is a terminal: on Linux what file descriptor 2 is, elsewhere whether the JVM has a terminal. */
    public static boolean stderrIsTerminal() {
        Path fd = Path.of("/proc/self/fd/2");
        if (Files.isSymbolicLink(fd)) {
            try {
                String target = Files.readSymbolicLink(fd).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            } catch (IOException | UnsupportedOperationException e) {
                // fall back to the console
            }
        }
        Console console = System.console();
        if (console == null) return false;
        try { // Console.isTerminal() exists from Java 22 on; before it a console was always a terminal
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /** me.tongfei's bar, redrawn in place. */
    static final class Bar extends WorkProgress {
        private final ProgressBar bar;

        Bar(String task, long total, PrintStream err) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" rows", 1).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new ConsoleProgressBarConsumer(err)).setUpdateIntervalMillis(500).build();
        }

        @Override
        public void stepTo(long done) {
            bar.stepTo(done);
        }

        @Override
        public void close() {
            bar.close();
        }
    }

    /** "plan whatif: 400,000 of 2,000,000 rows (20%)" at each tenth of the work. */
    static final class Lines extends WorkProgress {
        private final String task;
        private final long total;
        private final PrintStream err;
        private int printedTenths;

        Lines(String task, long total, PrintStream err) {
            this.task = task;
            this.total = total;
            this.err = err;
        }

        @Override
        public synchronized void stepTo(long done) {
            int tenths = total <= 0 ? 10 : (int) Math.min(10, done * 10 / total);
            if (tenths <= printedTenths) return;
            printedTenths = tenths;
            err.println(String.format(Locale.ROOT, "%s: %,d of %,d rows (%d%%)", task, Math.min(done, total), total, tenths * 10));
            err.flush();
        }

        @Override
        public void close() {
        }
    }

    /** The time taken so far by work that cannot say how far it has got. */
    static final class Elapsed extends WorkProgress {
        private final String task;
        private final String what;
        private final PrintStream err;
        private final boolean terminal;
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "progress");
            t.setDaemon(true);
            return t;
        });
        private long seconds;
        private boolean drawn;

        Elapsed(String task, String what, PrintStream err, boolean terminal) {
            this.task = task;
            this.what = what;
            this.err = err;
            this.terminal = terminal;
            timer.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
        }

        synchronized void tick() {
            seconds++;
            String line = line(seconds);
            if (terminal) {
                err.print("\r" + line);
                drawn = true;
            } else if (seconds % 10 == 0) {
                err.println(line);
            }
            err.flush();
        }

        String line(long seconds) {
            return task + ": " + what + " … " + seconds + " s";
        }

        @Override
        public void stepTo(long done) {
        }

        @Override
        public synchronized void close() {
            timer.shutdownNow();
            if (drawn) err.print("\r" + " ".repeat(line(seconds).length()) + "\r"); // leave the terminal line clean
            err.flush();
        }
    }
}
