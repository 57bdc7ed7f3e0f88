package dev.tollgate.app.eval;

import dev.tollgate.app.GatewayLink;
import dev.tollgate.app.GatewayOptions;
import dev.tollgate.app.LedgerSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code tollgate eval}: the quality gate a cheaper model must pass, on your own tasks, before it takes traffic. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        // one element a paragraph: the command list of `tollgate --help` shows the first, picocli wraps each
        description = {"Run a task set through the gateway on candidate models and grade the answers against a gate.",
                "With --shadow ROUTE, grade the route's shadow candidate on the live traffic it was sent.",
                "Exit status: 0 a candidate passes, 3 none passes, 4 answers are missing (the output says why, and what a rerun "
                        + "completes; with --shadow: none kept yet), 2 bad input, 1 the results file cannot be written (with --shadow: the ledger cannot be read)."})
public final class EvalCommand implements Callable<Integer> {

    static final int NONE_PASSES = 3;
    static final int INCOMPLETE = 4;
    static final int BAD_INPUT = 2;

    enum Format { TABLE, JSON }

    @Option(names = "--tasks", paramLabel = "FILE",
            description = "Task set, JSONL: {\"id\", \"messages\", \"reference\"?, \"scorer\"?, \"response_format\"?} a line (or --prompt-log, or --shadow).")
    Path tasksFile;

    @Option(names = "--prompt-log", description = "Take the tasks from the gateway's prompt log (prompt_log: enabled): a sample of real prompts,"
            + " each scored against the answer production gave.")
    boolean promptLog;

    @Option(names = "--sample", defaultValue = "50", paramLabel = "N", description = "With --prompt-log: how many logged prompts (default: ${DEFAULT-VALUE}).")
    int sample;

    @Option(names = "--seed", defaultValue = "1", description = "With --prompt-log: seeds the draw; the same seed draws the same prompts (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--models", split = ",", paramLabel = "MODEL", description = "Candidate models, as the gateway names them (required without --shadow).")
    List<String> models;

    @Option(names = "--shadow", paramLabel = "ROUTE",
            description = "Grade the candidate of ROUTE's shadow traffic (routes[].shadow) against the answers its clients got, over --since.")
    String shadow;

    @Option(names = "--since", description = "With --shadow or --prompt-log: how far back, as 3d, 12h or 90m (default: 7d for --shadow, 30d for --prompt-log).")
    String since;

    @Option(names = "--scorer", defaultValue = "normalized",
            description = "With --shadow or --prompt-log and no --judge: how an answer is scored against production's: exact, normalized or numeric"
                    + " (with --prompt-log also a JSON object as in a task file) (default: ${DEFAULT-VALUE}).")
    String scorer;

    @Mixin
    GatewayOptions gateway = new GatewayOptions();

    @Option(names = "--key", defaultValue = "${TOLLGATE_API_KEY}", description = "A virtual key of the gateway (default: $TOLLGATE_API_KEY).")
    String key;

    @Option(names = "--tags", defaultValue = "feature=eval", description = "x-tollgate-tags the calls are metered under, besides tollgate=eval (default: ${DEFAULT-VALUE}).")
    String tags;

    @Option(names = "--results", defaultValue = "eval-results.jsonl", paramLabel = "FILE",
            description = "Answers are appended here; a rerun asks only for what is missing (with --shadow and --judge: the judge's verdicts,"
                    + " a rerun asks only about new pairs) (default: ${DEFAULT-VALUE}).")
    Path resultsFile;

    @Option(names = "--concurrency", defaultValue = "4", description = "Calls in flight at once (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--gate", defaultValue = "0.75", description = "Share of answers that must pass (default: ${DEFAULT-VALUE}).")
    double gate;

    @Option(names = "--judge", paramLabel = "MODEL", description = "The reviewer model for tasks scored by \"judge\".")
    String judgeModel;

    @Option(names = "--rubric", description = "The judge's rubric where a task has none of its own.")
    String rubric = Judge.DEFAULT_RUBRIC;

    @Option(names = "--allow-same-family", description = "Let the judge grade candidates of its own family (refused by default).")
    boolean allowSameFamily;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "People's verdicts, JSONL {\"id\", \"model\"?, \"pass\"}: they override the scores and measure the judge.")
    Path labelsFile;

    @Option(names = "--format", defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--chart", paramLabel = "FILE", description = "Also draw cost vs quality to FILE (.png or .svg).")
    Path chart;

    @Option(names = "--limit", defaultValue = "" + Integer.MAX_VALUE, paramLabel = "N",
            description = "Make at most N calls of candidates this run; the rest wait for the next.")
    int limit;

    @Option(names = "--route", paramLabel = "MODEL",
            description = "The model the traffic runs on now: say what switching it to the cheapest passing model would have saved over the last --days of the ledger.")
    String route;

    @Option(names = "--days", defaultValue = "30", description = "Days of the ledger --route looks back (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
            description = "Data directory of the ledger, for --route, --prompt-log and --shadow (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Mixin
    LedgerSource ledger = new LedgerSource();

    @Spec
    CommandSpec spec;

    /** Where "the last --days" ends. */
    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (since == null) since = shadow != null ? "7d" : "30d";
        if (shadow != null) return shadow(out, err);
        if ((tasksFile == null && !promptLog) || models == null || models.isEmpty()) {
            err.println("eval: --tasks FILE (or --prompt-log) and --models MODEL,... are required (or --shadow ROUTE to grade a route's shadow candidate)");
            return BAD_INPUT;
        }
        List<EvalTask> tasks;
        Labels labels;
        GatewayLink link;
        try {
            if ((tasksFile == null) == !promptLog) throw new IllegalArgumentException("give either --tasks FILE or --prompt-log");
            if (promptLog && sample < 1) throw new IllegalArgumentException("--sample must be at least 1");
            link = gateway.link(dataDir);
            tasks = promptLog ? fromPromptLog(link, err) : EvalTask.read(tasksFile);
            labels = labelsFile == null ? Labels.none() : Labels.read(labelsFile);
            check(tasks);
            warnOfStrayLabels(labels, tasks, err);
        } catch (EvalTask.Invalid | IllegalArgumentException e) {
            err.println("eval: " + e.getMessage());
            return BAD_INPUT;
        } catch (IOException e) {
            err.println("eval: cannot read " + e.getMessage());
            return BAD_INPUT;
        }
        GatewayCaller caller = new GatewayCaller(link.url(), key, tags);
        Map<String, List<String>> served;
        try {
            served = caller.models();
        } catch (IOException e) {
            err.println("eval: cannot reach the gateway at " + link.url() + " ("
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    + "): is serve running there? --url or $TOLLGATE_URL names another");
            return BAD_INPUT;
        }
        String unknown = unknownModel(served, link.url());
        if (unknown != null) {
            err.println("eval: " + unknown);
            return BAD_INPUT;
        }
        if (judgeModel != null && !allowSameFamily) {
            for (String model : models) {
                String same = sameFamily(model, served);
                if (same != null) {
                    err.println("eval: " + same);
                    return BAD_INPUT;
                }
            }
        }
        Judge judge = judgeModel == null ? null : new Judge(judgeModel, rubric);
        EvalReport report;
        try (ResultsFile results = ResultsFile.open(resultsFile)) {
            EvalRun run = new EvalRun(caller, judge, results, concurrency);
            List<EvalRun.Pair> pending = run.pending(tasks, models);
            int skipped = tasks.size() * models.size() - pending.size();
            if (skipped > 0) err.println("eval: " + skipped + " answers already in " + resultsFile + ", " + pending.size() + " to go");
            try (Progress progress = Progress.of(Math.min(limit, pending.size()), err)) {
                run.run(pending, limit, progress, err);
            }
            report = EvalReport.of(tasks, models, results.all(), labels, gate);
        } catch (IOException e) {
            err.println("eval: cannot read or write " + resultsFile + ": " + e.getMessage());
            return 1;
        }
        Savings savings = null;
        if (route != null && report.cheapestPassing() != null && !route.equals(report.cheapestPassing())) {
            try {
                savings = Savings.replay(ledger, dataDir, link.url(), link.token(), route, report.cheapestPassing(), tags, days, clock.instant());
            } catch (Exception e) {
                err.println("eval: cannot tell what switching " + route + " would save: " + e.getMessage());
            }
        }
        out.print(format == Format.JSON ? EvalOutput.json(report, judgeModel, savings) : EvalOutput.table(report, judgeModel, savings));
        out.flush();
        if (chart != null) {
            try {
                EvalChart.write(report, chart);
                err.println("eval: chart written to " + chart);
            } catch (IOException e) {
                err.println("eval: cannot write the chart " + chart + ": " + e.getMessage());
            }
        }
        if (report.pending() > 0) return INCOMPLETE;
        return report.anyPasses() ? 0 : NONE_PASSES;
    }

    /** {@code --shadow ROUTE}: the running verdict on the route's shadow candidate. */
    private int shadow(PrintWriter out, PrintWriter err) {
        java.time.Duration window;
        try {
            if (!(gate >= 0 && gate <= 1)) throw new IllegalArgumentException("--gate must be within 0..1");
            window = dev.tollgate.gateway.audit.AuditEndpoint.since(since);
            if (window.isZero() || window.isNegative()) throw new IllegalArgumentException("--since must be positive");
            if (judgeModel == null) ShadowEval.scorer(scorer, "0");
        } catch (IllegalArgumentException e) {
            err.println("eval: " + e.getMessage());
            return BAD_INPUT;
        }
        GatewayLink link = gateway.link(dataDir);
        java.time.Instant now = clock.instant();
        List<dev.tollgate.store.ShadowAnswer> answers;
        try {
            answers = ShadowEval.answers(ledger, dataDir, link, shadow, since, now, window);
        } catch (Exception e) {
            err.println("eval: cannot read the shadow answers of " + shadow + ": " + e.getMessage());
            return 1;
        }
        String candidate = answers.isEmpty() ? null : answers.getLast().candidate();
        if (judgeModel != null && candidate != null && !allowSameFamily) {
            Map<String, List<String>> served;
            try {
                served = new GatewayCaller(link.url(), key, tags).models();
            } catch (IOException e) {
                served = null; // the names themselves; the judge's calls will say the gateway cannot be reached
            }
            String same = sameFamily(candidate, served);
            if (same != null) {
                err.println("eval: " + same);
                return BAD_INPUT;
            }
        }
        // a candidate changed in the config: only its own answers count
        List<dev.tollgate.store.ShadowAnswer> ofCandidate = answers.stream().filter(a -> a.candidate().equals(candidate)).toList();
        List<ShadowEval.Scored> scored;
        try (ResultsFile verdicts = judgeModel == null ? null : ResultsFile.open(resultsFile)) {
            scored = ShadowEval.score(ofCandidate, scorer, judgeModel == null ? null : new Judge(judgeModel, rubric),
                    new GatewayCaller(link.url(), key, tags), verdicts, err);
        } catch (IllegalStateException e) {
            err.println("eval: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("eval: cannot read or write " + resultsFile + ": " + e.getMessage());
            return 1;
        }
        java.math.BigDecimal routeCost = null;
        long routeRequests = 0;
        String savingError = null;
        try {
            dev.tollgate.store.SpendRow spend = ShadowEval.routeSpend(ledger, dataDir, link, shadow, now, window);
            routeCost = spend.costUsd();
            routeRequests = spend.requests();
        } catch (Exception e) {
            savingError = e.getMessage();
        }
        ShadowEval.Report report = ShadowEval.report(shadow, candidate, window, judgeModel != null ? "the judge " + judgeModel
                : scorer + " match", gate, scored, routeCost, routeRequests, savingError);
        out.print(format == Format.JSON ? ShadowEval.json(report) : ShadowEval.table(report));
        out.flush();
        if (report.answers() == 0) {
            err.println("eval: no shadowed answers for " + shadow + " in the last " + since
                    + ": is routes[].shadow set on it, and has it had traffic?");
            return INCOMPLETE;
        }
        return report.passes() ? 0 : NONE_PASSES;
    }

    private List<EvalTask> fromPromptLog(GatewayLink link, PrintWriter err) {
        List<EvalTask> tasks;
        try {
            tasks = PromptLogTasks.tasks(PromptLogTasks.sample(ledger, dataDir, () -> link, sample, since, seed, tags, clock.instant()),
                    PromptLogTasks.scorer(scorer));
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot read the prompt log: " + e.getMessage());
        }
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("the prompt log has no answered prompts since " + since
                    + " (prompt logging is opt-in: prompt_log: {enabled: true} in the config)");
        }
        err.println("eval: " + tasks.size() + " prompts drawn from the prompt log (seed " + seed + "), each scored against production's answer");
        return tasks;
    }

    /**
     * A candidate or judge the gateway does not serve, said once up front (a typo in --models would otherwise fail every
     * task with a 404 and end "answers missing, run again"); null when all exist or the gateway cannot list them.
     */
    private String unknownModel(Map<String, List<String>> served, String url) {
        if (served == null) return null;
        List<String> asked = new ArrayList<>(models);
        if (judgeModel != null) asked.add(judgeModel);
        for (String model : asked) {
            if (!served.containsKey(model)) {
                return "the gateway at " + url + " has no model '" + model + "' (it has: "
                        + String.join(", ", served.keySet()) + ")";
            }
        }
        return null;
    }

    /** A label whose id is no task's (a typo, or another task set) overrides nothing: said, not silently dropped. */
    private void warnOfStrayLabels(Labels labels, List<EvalTask> tasks, PrintWriter err) {
        Set<String> stray = labels.taskIds();
        tasks.forEach(t -> stray.remove(t.id()));
        if (stray.isEmpty()) return;
        List<String> named = stray.stream().limit(5).toList();
        err.println("eval: " + stray.size() + " task id" + (stray.size() == 1 ? "" : "s") + " in " + labelsFile
                + (stray.size() == 1 ? " names" : " name") + " no task of this run, so those labels apply to nothing: " + String.join(", ", named)
                + (stray.size() > named.size() ? ", …" : ""));
    }

    private void check(List<EvalTask> tasks) {
        if (!(gate >= 0 && gate <= 1)) throw new IllegalArgumentException("--gate must be within 0..1");
        if (concurrency < 1) throw new IllegalArgumentException("--concurrency must be at least 1");
        if (limit < 0) throw new IllegalArgumentException("--limit must be at least 0");
        if (days < 1) throw new IllegalArgumentException("--days must be at least 1");
        boolean judged = tasks.stream().anyMatch(t -> t.scorer() instanceof Scorer.Judged);
        if (judged && judgeModel == null) throw new IllegalArgumentException("tasks scored by \"judge\" need --judge MODEL");
    }

    /**
     * Why the judge may not grade {@code candidate}: a family they share, compared on the upstream models the gateway
     * sends each name to (so an alias such as {@code my-judge} for gpt-4o is seen as gpt-4o, and a route as every
     * deployment it may fall back to); null when none is shared.
     * Without the gateway's list ({@code served} null), the names themselves.
     */
    private String sameFamily(String candidate, Map<String, List<String>> served) {
        List<String> candidateUpstream = served == null ? List.of(candidate) : served.getOrDefault(candidate, List.of(candidate));
        List<String> judgeUpstream = served == null ? List.of(judgeModel) : served.getOrDefault(judgeModel, List.of(judgeModel));
        for (String c : candidateUpstream) {
            for (String j : judgeUpstream) {
                if (!Judge.family(c).equals(Judge.family(j))) continue;
                return "the judge " + judgeModel + (j.equals(judgeModel) ? "" : " (" + j + ")") + " would grade " + candidate
                        + (c.equals(candidate) ? "" : " (" + c + ")") + ", a model of its own family (" + Judge.family(c)
                        + "); pick a judge of another family or pass --allow-same-family";
            }
        }
        return null;
    }
}
