package dev.tollgate.app.eval;

import dev.tollgate.app.WorkProgress;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintWriter;

/** How a run shows its progress: a bar with an ETA on a terminal, a plain line per answer otherwise. */
interface Progress extends AutoCloseable {

    void done(EvalResult result);

    @Override
    void close();

    static Progress of(int total, PrintWriter err) {
        return WorkProgress.stderrIsTerminal() ? new Bar(total) : new Lines(total, err);
    }

    /** me.tongfei's progress bar on stderr. */
    final class Bar implements Progress {
        private final ProgressBar bar;

        Bar(int total) {
            bar = new ProgressBarBuilder().setTaskName("eval").setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .continuousUpdate().build();
        }

        @Override
        public synchronized void done(EvalResult result) {
            bar.step();
            bar.setExtraMessage(result.model() + " " + result.task());
        }

        @Override
        public void close() {
            bar.close();
        }
    }

    /** "eval: 3/40 gpt-4o-mini t3 pass (12 ms), ETA 0:14" per answer. */
    final class Lines implements Progress {
        private final int total;
        private final PrintWriter err;
        private final long startNanos = System.nanoTime();
        private int done;

        Lines(int total, PrintWriter err) {
            this.total = total;
            this.err = err;
        }

        @Override
        public synchronized void done(EvalResult r) {
            done++;
            String outcome = r.failed() ? "error: " + r.error() : (r.verdict().pass() ? "pass" : "fail") + " (" + Math.round(r.latencyMs()) + " ms)";
            long etaSeconds = Math.round((System.nanoTime() - startNanos) / 1e9 / done * (total - done));
            err.println("eval: " + done + "/" + total + " " + r.model() + " " + r.task() + " " + outcome
                    + (done < total ? ", ETA " + etaSeconds / 60 + ":" + String.format("%02d", etaSeconds % 60) : ""));
            err.flush();
        }

        @Override
        public void close() {
        }
    }
}
