package dev.tollgate.app.eval;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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

    /** Runs {@code pairs}, at most {@code limit} of them (the rest wait for the next run); returns how many ran. */
    int run(List<Pair> pairs, int limit, Progress progress) throws InterruptedException, IOException {
        AtomicInteger started = new AtomicInteger();
        AtomicReference<IOException> writeFailure = new AtomicReference<>();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            for (Pair pair : pairs) {
                pool.execute(() -> {
                    if (writeFailure.get() != null || started.incrementAndGet() > limit) return;
                    EvalResult result = evaluate(pair);
                    try {
                        results.append(result);
                    } catch (IOException e) {
                        writeFailure.compareAndSet(null, e);  // stop: an answer that cannot be kept is paid for again
                        return;
                    }
                    progress.done(result);
                });
            }
        } finally {
            pool.shutdown();
            while (!pool.awaitTermination(1, TimeUnit.SECONDS)) {
                // each call has its own timeout; wait for the last of them
            }
        }
        if (writeFailure.get() != null) throw writeFailure.get();
        return Math.min(limit, pairs.size());
    }

    EvalResult evaluate(Pair pair) {
        EvalTask task = pair.task();
        GatewayCaller.Answer answer = gateway.ask(pair.model(), task.messages(), task.responseFormat());
        if (answer.failed()) return failed(pair, answer.error());
        if (task.scorer() instanceof Scorer.Deterministic scorer) {
            return new EvalResult(task.id(), pair.model(), answer.text(), scorer.score(answer.text()), answer.costUsd(),
                    answer.latencyMs(), null, null, null);
        }
        Scorer.Judged judged = (Scorer.Judged) task.scorer();
        GatewayCaller.Answer review = gateway.ask(judge.model(), judge.messages(task, judged.rubric(), answer.text()), null);
        if (review.failed()) return failed(pair, "the judge " + judge.model() + " gave no verdict: " + review.error());
        return new EvalResult(task.id(), pair.model(), answer.text(), Judge.verdict(review.text()), answer.costUsd(),
                answer.latencyMs(), judge.model(), review.costUsd(), null);
    }

    private static EvalResult failed(Pair pair, String error) {
        return new EvalResult(pair.task().id(), pair.model(), null, null, BigDecimal.ZERO, 0, null, null, error);
    }
}
