package dev.tollgate.app.eval;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Asks every candidate every task that has no answer in the results file yet, {@code concurrency} calls at a time,
 * scores each answer (asking the judge where the task says so), and appends it to the file as it comes.
 */
final class EvalRun {

    private final GatewayCaller gateway;
    private final Judge judge;
    private final ResultsFile results;
    private final int concurrency;

    EvalRun(GatewayCaller gateway, Judge judge, ResultsFile results, int concurrency) {
        this.gateway = gateway;
        this.judge = judge;
        this.results = results;
        this.concurrency = concurrency;
    }

    /** A task to put to a model. */
    record Pair(EvalTask task, String model) {
    }

    /** The pairs still without an answer, task by task. */
    List<Pair> pending(List<EvalTask> tasks, List<String> models) {
        List<Pair> pending = new ArrayList<>();
        for (EvalTask task : tasks) {
            for (String model : models) if (!results.done(task.id(), model)) pending.add(new Pair(task, model));
        }
        return pending;
    }

    /**
     * Runs {@code pairs}, at most {@code limit} of them (the rest wait for the next run); returns how many ran. Stopped
     * by Ctrl-C or SIGTERM, it starts no new call but lets the calls in flight finish and keeps their answers: each was
     * paid for, and a rerun would otherwise pay for it again. (SIGKILL leaves no such chance.)
     */
    int run(List<Pair> pairs, int limit, Progress progress, PrintWriter err) throws InterruptedException, IOException {
        AtomicInteger started = new AtomicInteger();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicBoolean stopping = new AtomicBoolean();
        AtomicReference<IOException> writeFailure = new AtomicReference<>();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        Thread drain = new Thread(() -> {
            stopping.set(true);
            err.println("eval: stopping: waiting for the " + inFlight.get() + " calls in flight to be kept, so a rerun pays for none twice");
            err.flush();
            try {
                pool.awaitTermination(10, TimeUnit.MINUTES); // a call's own timeout is 5 minutes; a judged pair makes two
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "eval-drain");
        Runtime.getRuntime().addShutdownHook(drain);
        try {
            for (Pair pair : pairs) {
                pool.execute(() -> {
                    if (stopping.get() || writeFailure.get() != null || started.incrementAndGet() > limit) return;
                    inFlight.incrementAndGet();
                    try {
                        runOne(pair, progress, writeFailure);
                    } finally {
                        inFlight.decrementAndGet();
                    }
                });
            }
        } finally {
            pool.shutdown();
            while (!pool.awaitTermination(1, TimeUnit.SECONDS)) {
                // each call has its own timeout; wait for the last of them
            }
            try {
                Runtime.getRuntime().removeShutdownHook(drain);
            } catch (IllegalStateException shuttingDown) {
                // the hook is draining the pool, which is done
            }
        }
        if (writeFailure.get() != null) throw writeFailure.get();
        return Math.min(limit, pairs.size());
    }

    private void runOne(Pair pair, Progress progress, AtomicReference<IOException> writeFailure) {
        EvalResult result = evaluate(pair);
        try {
            results.append(result);
        } catch (IOException e) {
            writeFailure.compareAndSet(null, e);  // stop: an answer that cannot be kept is paid for again
            return;
        }
        progress.done(result);
    }

    EvalResult evaluate(Pair pair) {
        EvalTask task = pair.task();
        EvalResult earlier = results.get(task.id(), pair.model());
        GatewayCaller.Answer answer = earlier != null && earlier.answer() != null && task.scorer() instanceof Scorer.Judged
                ? new GatewayCaller.Answer(earlier.answer(), earlier.costUsd(), earlier.latencyMs(), null, null) // paid for: only the judge again
                : gateway.ask(pair.model(), task.messages(), task.responseFormat());
        if (answer.failed()) return failed(pair, answer);
        if (task.scorer() instanceof Scorer.Deterministic scorer) {
            return new EvalResult(task.id(), pair.model(), answer.text(), scorer.score(answer.text()), answer.costUsd(),
                    answer.latencyMs(), null, null, null, null);
        }
        Scorer.Judged judged = (Scorer.Judged) task.scorer();
        GatewayCaller.Answer review = gateway.ask(judge.model(), judge.messages(task, judged.rubric(), answer.text()), null);
        if (review.failed()) {
            return new EvalResult(task.id(), pair.model(), answer.text(), null, answer.costUsd(), answer.latencyMs(), null, null,
                    "the judge " + judge.model() + " gave no verdict: " + review.error(), review.failure());
        }
        return new EvalResult(task.id(), pair.model(), answer.text(), Judge.verdict(review.text()), answer.costUsd(),
                answer.latencyMs(), judge.model(), review.costUsd(), null, null);
    }

    private static EvalResult failed(Pair pair, GatewayCaller.Answer answer) {
        return new EvalResult(pair.task().id(), pair.model(), null, null, BigDecimal.ZERO, 0, null, null, answer.error(), answer.failure());
    }
}
