package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.app.eval.EvalCli.Run;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code tollgate eval} through a real gateway in front of the sandbox, whose models have a known quality: a provider
 * per quality sends {@code x-sandbox-quality}. Expected pass counts come from the sandbox's documented draw (SHA-256
 * of the prompt), computed here on its own.
 */
class EvalCommandTest {

    static Vertx vertx;
    static SandboxServer sandbox;
    static DuckDbLedger ledger;
    static Gateway gateway;
    @TempDir
    static Path dataDir;
    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
        String base = "http://127.0.0.1:" + sandbox.port() + "/v1";
        String config = """
                providers:
                  q90: {type: openai, base_url: %1$s, headers: {x-sandbox-quality: "0.9"}}
                  q50: {type: openai, base_url: %1$s, headers: {x-sandbox-quality: "0.5"}}
                  q80: {type: openai, base_url: %1$s, headers: {x-sandbox-quality: "0.8"}}
                  perfect: {type: openai, base_url: %1$s}
                  slow: {type: openai, base_url: %1$s, headers: {x-sandbox-latency-ms: "1500"}}
                  down: {type: openai, base_url: %1$s, headers: {x-sandbox-fault: "500"}}
                models:
                  - {name: gpt-4o-mini-q90, provider: q90, model: gpt-4o-mini}
                  - {name: gpt-4.1-nano-q50, provider: q50, model: gpt-4.1-nano}
                  - {name: claude-haiku-judge, provider: perfect, model: claude-haiku-4-5}
                  - {name: claude-sonnet-judge80, provider: q80, model: claude-sonnet-4-5}
                  - {name: gpt-4o-judge, provider: perfect, model: gpt-4o}
                  - {name: gpt-4o-mini, provider: q90}
                  - {name: gpt-4o-mini-slow, provider: slow, model: gpt-4o-mini}
                  - {name: claude-judge-down, provider: down, model: claude-haiku-4-5}
                  - {name: my-judge, provider: perfect, model: gpt-4o}
                  - {name: support-bot, provider: q90, model: claude-haiku-4-5}
                  - {name: gpt-4o-mini-down, provider: down, model: gpt-4o-mini}
                routes:
                  - {name: mini-then-haiku, deployments: [{provider: q90, model: gpt-4o-mini}, {provider: q90, model: claude-haiku-4-5}]}
                spend_controls:
                  budgets:
                    - {name: eval-tiny, scope: "feature:eval-tiny", period: monthly, limit_usd: "0.0000001"}
                  rate_limits:
                    - {scope: "feature:eval-slowly", requests_per_minute: 1}
                """.formatted(base);
        ledger = DuckDbLedger.open(dataDir);
        gateway = Gateway.start(vertx, GatewayServices.of(new ConfigLoader(Map.<String, String>of()::get).parse(config),
                PriceCatalog.bundled(), ledger), 0, 1).await();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        vertx.close().await();
        ledger.close();
    }

    Run eval(String... args) {
        return eval(new EvalCommand(), args);
    }

    Run eval(EvalCommand command, String... args) {
        List<String> all = new ArrayList<>(List.of("--url", gateway.baseUrl()));
        if (!List.of(args).contains("--results")) all.addAll(List.of("--results", dir.resolve("results.jsonl").toString()));
        all.addAll(List.of(args));
        return EvalCli.run(command, all);
    }

    /** The sandbox's documented draw: the first 53 bits of the prompt's SHA-256, over 2^53. */
    static double draw(String prompt) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(prompt.getBytes(StandardCharsets.UTF_8));
        long v = 0;
        for (int i = 0; i < 8; i++) v = v << 8 | (d[i] & 0xff);
        return (v >>> 11) / Math.pow(2, 53);
    }

    static String prompt(int i) {
        return "Task " + i + " of the support set.\nReply with exactly: " + answer(i);
    }

    /** Answers of several kinds, each scored by a scorer the right answer passes and prose fails. */
    static String answer(int i) {
        return switch (i % 4) {
            case 0 -> "Refund approved";
            case 1 -> "order " + (1000 + i);
            case 2 -> "3.14";
            default -> "Paris";
        };
    }

    static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"category\":{\"type\":\"string\",\"enum\":[\"billing\",\"bug\"]},"
            + "\"priority\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":3}},\"required\":[\"category\",\"priority\"],\"additionalProperties\":false}";

    /** {@code n} tasks; every fifth asks for JSON against a schema. */
    Path tasks(int n, String judgeScorer) throws Exception {
        StringBuilder lines = new StringBuilder("# a comment line\n");
        for (int i = 0; i < n; i++) {
            ObjectNode task = Json.object().put("id", "t" + i);
            task.putArray("messages").addObject().put("role", "system").put("content", "You are terse.");
            if (judgeScorer != null) {
                task.withArray("messages").addObject().put("role", "user").put("content", prompt(i));
                task.put("reference", answer(i)).put("scorer", judgeScorer);
            } else if (i % 5 == 4) {
                task.withArray("messages").addObject().put("role", "user").put("content", "Classify ticket " + i + " as JSON.");
                task.putObject("scorer").put("type", "json_schema").set("schema", Json.parse(SCHEMA));
                task.putObject("response_format").put("type", "json_schema").putObject("json_schema").put("name", "ticket")
                        .set("schema", Json.parse(SCHEMA));
            } else {
                task.withArray("messages").addObject().put("role", "user").put("content", prompt(i));
                task.put("reference", answer(i));
                switch (i % 4) {
                    case 0 -> task.put("scorer", "normalized");
                    case 1 -> task.putObject("scorer").put("type", "regex").put("pattern", "^order \\d{4}$");
                    case 2 -> task.putObject("scorer").put("type", "numeric").put("tolerance", "0.01").put("_", "3.14159");
                    default -> task.put("scorer", "exact");
                }
                if (i % 4 == 2) task.put("reference", "3.14159");
            }
            lines.append(task).append('\n');
        }
        Path file = dir.resolve("tasks.jsonl");
        Files.writeString(file, lines);
        return file;
    }

    static String userPrompt(int i, String judgeScorer) {
        return judgeScorer == null && i % 5 == 4 ? "Classify ticket " + i + " as JSON." : prompt(i);
    }

    static int expectedPasses(int n, double quality) throws Exception {
        int passes = 0;
        for (int i = 0; i < n; i++) if (draw(userPrompt(i, null)) < quality) passes++;
        return passes;
    }

    /** Wilson's 95% interval, written out here on its own. */
    static double[] wilson(int k, int n) {
        double z = 1.96, p = (double) k / n;
        double c = (p + z * z / (2 * n)) / (1 + z * z / n);
        double h = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / (1 + z * z / n);
        return new double[]{c - h, c + h};
    }

    static BigDecimal ledgerCost(String model) {
        ledger.flush();
        return ledger.recent(100_000).stream()
                .filter(e -> model.equals(e.requestedModel()) && "eval".equals(e.tags().get("feature")))
                .map(LedgerEntry::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    @Test
    void modelsOfKnownQualityGetTheRightVerdictsCostsAndChart() throws Exception {
        int n = 80;
        Path tasks = tasks(n, null);
        BigDecimal costBefore = ledgerCost("gpt-4o-mini-q90");
        Run run = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini-q90,gpt-4.1-nano-q50", "--concurrency", "3",
                "--format", "json", "--chart", dir.resolve("chart.png").toString());
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode report = run.json();
        JsonNode good = report.at("/models/0"), poor = report.at("/models/1");

        int goodPasses = expectedPasses(n, 0.9), poorPasses = expectedPasses(n, 0.5);
        assertThat(good.get("answers").asInt()).isEqualTo(n);
        assertThat(good.get("passed").asInt()).isEqualTo(goodPasses);
        assertThat(poor.get("passed").asInt()).isEqualTo(poorPasses);
        assertThat(good.get("pass_rate").asDouble()).isCloseTo(goodPasses / (double) n, within(1e-12));
        double[] ci = wilson(goodPasses, n);
        assertThat(good.get("ci95_low").asDouble()).isCloseTo(ci[0], within(1e-4));
        assertThat(good.get("ci95_high").asDouble()).isCloseTo(ci[1], within(1e-4));
        assertThat(0.9).isBetween(good.get("ci95_low").asDouble(), good.get("ci95_high").asDouble());
        assertThat(0.5).isBetween(poor.get("ci95_low").asDouble(), poor.get("ci95_high").asDouble());
        assertThat(good.get("verdict").asText()).isEqualTo("pass");
        assertThat(poor.get("verdict").asText()).isEqualTo("fail");
        assertThat(report.get("cheapest_passing").asText()).isEqualTo("gpt-4o-mini-q90");
        assertThat(report.get("pending").asInt()).isZero();

        // what the gateway charged for the eval's calls, from its own ledger, is what the report counts
        BigDecimal charged = ledgerCost("gpt-4o-mini-q90").subtract(costBefore);
        assertThat(charged.signum()).isPositive();
        assertThat(good.get("cost_usd").decimalValue()).isEqualByComparingTo(charged);
        assertThat(good.get("cost_per_request_usd").decimalValue())
                .isEqualByComparingTo(charged.divide(BigDecimal.valueOf(n), 10, java.math.RoundingMode.HALF_UP));
        assertThat(good.get("cost_per_pass_usd").decimalValue())
                .isEqualByComparingTo(charged.divide(BigDecimal.valueOf(goodPasses), 10, java.math.RoundingMode.HALF_UP));
        assertThat(good.get("p95_ms").asDouble()).isGreaterThanOrEqualTo(good.get("p50_ms").asDouble());
        assertThat(Files.size(dir.resolve("chart.png"))).isPositive();

        // the same run again asks nothing (every answer is in the results file) and prints a table
        long received = sandbox.requestsReceived();
        Run table = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini-q90,gpt-4.1-nano-q50", "--gate", "0.75",
                "--chart", dir.resolve("chart.svg").toString());
        assertThat(sandbox.requestsReceived()).isEqualTo(received);
        assertThat(table.out()).contains("model", "pass rate", "95% CI", "cost/request", "cost/pass", "p50 ms", "p95 ms", "verdict")
                .contains("Cheapest model that passes: gpt-4o-mini-q90");
        assertThat(table.out().lines().filter(l -> l.startsWith("gpt-4.1-nano-q50")).findFirst().orElseThrow()).endsWith("FAIL");
        assertThat(Files.readString(dir.resolve("chart.svg"))).contains("<svg");
    }

    static LedgerEntry row(String time, String model, long in, long out, String cost) {
        return new LedgerEntry(java.time.Instant.parse(time), "req-" + time, "app-key", Map.of("feature", "support"), "openai.chat",
                "openai", model, model, model, new dev.tollgate.core.usage.Usage(in, 0, 0, 0, out, 0), new BigDecimal(cost),
                model + "@v1", 200, null, 1000, -1, false, false);
    }

    @Test
    void theReportSaysWhatSwitchingTheRouteWouldHaveSavedOverTheLastDays() throws Exception {
        Path history = dir.resolve("history");
        try (DuckDbLedger past = DuckDbLedger.open(history)) {
            past.append(row("2026-11-20T10:00:00Z", "gpt-4o", 1_000_000, 100_000, "3.5"));
            past.append(row("2026-11-25T10:00:00Z", "gpt-4o", 200_000, 0, "0.5"));
            past.append(row("2026-10-01T10:00:00Z", "gpt-4o", 1_000_000, 0, "2.5"));          // over 30 days before
            past.append(row("2026-11-21T10:00:00Z", "claude-haiku-4-5", 1_000_000, 0, "1")); // another route
            past.flush();
        }
        EvalCommand command = new EvalCommand();
        command.clock = java.time.Clock.fixed(java.time.Instant.parse("2026-11-30T00:00:00Z"), java.time.ZoneOffset.UTC);
        Run run = eval(command, "--tasks", tasks(80, null).toString(), "--models", "gpt-4o-mini", "--route", "gpt-4o",
                "--data", history.toString(), "--format", "json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode saving = run.json().get("switch_saving");
        assertThat(saving.get("to").asText()).isEqualTo("gpt-4o-mini");
        assertThat(saving.get("requests").asLong()).isEqualTo(2);
        // $4.00 recorded; on gpt-4o-mini ($0.15 in, $0.60 out per million): 1.2M in $0.18 + 0.1M out $0.06
        assertThat(saving.get("saving_usd").decimalValue()).isEqualByComparingTo("3.76");
        assertThat(saving.get("unpriced").asLong()).isZero();

        Run table = eval(command, "--tasks", tasks(80, null).toString(), "--models", "gpt-4o-mini", "--route", "gpt-4o",
                "--data", history.toString());
        assertThat(table.out()).contains("Switching gpt-4o to gpt-4o-mini would have saved $3.76 over the last 30 days (2 requests in the ledger).");
    }

    static LedgerEntry row(String time, String key, Map<String, String> tags, String model, long in, String cost) {
        return new LedgerEntry(java.time.Instant.parse(time), "req-" + key + "-" + time, key, tags, "openai.chat",
                "openai", model, model, model, new dev.tollgate.core.usage.Usage(in, 0, 0, 0, 0, 0), new BigDecimal(cost),
                model + "@v1", 200, null, 1000, -1, false, false);
    }

    @Test
    void theSavingCountsRealTrafficOnlyNotTheEvalsOwnCallsNorShadowCalls() throws Exception {
        Path history = dir.resolve("history-real");
        try (DuckDbLedger past = DuckDbLedger.open(history)) {
            // real traffic: 3 requests of 1M input tokens on gpt-4o ($2.50 per million), $7.50
            for (int day = 20; day <= 22; day++) {
                past.append(row("2026-11-" + day + "T10:00:00Z", "app-key", Map.of("feature", "support"), "gpt-4o", 1_000_000, "2.5"));
            }
            // the eval's own calls to gpt-4o (its --tags, here two of them, as earlier runs left them without the mark), one
            // under a key tagged feature=support (the key's tag won; the mark tells it), and a shadow call that a route sent to gpt-4o
            past.append(row("2026-11-23T10:00:00Z", "app-key", Map.of("feature", "eval", "team", "ml"), "gpt-4o", 1_000_000, "2.5"));
            past.append(row("2026-11-23T11:00:00Z", "app-key", Map.of("feature", "eval", "team", "ml"), "gpt-4o", 1_000_000, "2.5"));
            past.append(row("2026-11-23T12:00:00Z", "support-key", Map.of("feature", "support", "team", "ml", "tollgate", "eval"), "gpt-4o", 1_000_000, "2.5"));
            past.append(row("2026-11-24T10:00:00Z", "shadow", Map.of("shadow", "support"), "gpt-4o", 1_000_000, "2.5"));
            // the same team's real traffic is real: only all of the eval's tags together mark its calls
            past.append(row("2026-11-25T10:00:00Z", "app-key", Map.of("feature", "search", "team", "ml"), "gpt-4o", 1_000_000, "2.5"));
            past.flush();
        }
        EvalCommand command = new EvalCommand();
        command.clock = java.time.Clock.fixed(java.time.Instant.parse("2026-11-30T00:00:00Z"), java.time.ZoneOffset.UTC);
        Run run = eval(command, "--tasks", tasks(80, null).toString(), "--models", "gpt-4o-mini", "--route", "gpt-4o",
                "--tags", "feature=eval, team=ml", "--data", history.toString(), "--format", "json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode saving = run.json().get("switch_saving");
        // 4 real requests, each $2.50 on gpt-4o and $0.15 on gpt-4o-mini (1M input at $0.15 per million): 4 x $2.35
        assertThat(saving.get("requests").asLong()).isEqualTo(4);
        assertThat(saving.get("saving_usd").decimalValue()).isEqualByComparingTo("9.40");
    }

    @Test
    void theJudgesFamilyIsItsUpstreamModelsNotTheNameTheGatewayGivesIt() throws Exception {
        Path tasks = tasks(4, "judge");
        // my-judge is gpt-4o under another name: it may not grade an OpenAI model
        Run aliasJudge = eval("--tasks", tasks.toString(), "--models", "gpt-4.1-nano-q50", "--judge", "my-judge");
        assertThat(aliasJudge.exit()).as(aliasJudge.err()).isEqualTo(EvalCommand.BAD_INPUT);
        assertThat(aliasJudge.err()).contains("the judge my-judge (gpt-4o) would grade gpt-4.1-nano-q50 (gpt-4.1-nano), a model of its own family (openai)");
        // support-bot is claude-haiku-4-5 under another name: an Anthropic judge may not grade it
        Run aliasCandidate = eval("--tasks", tasks.toString(), "--models", "support-bot", "--judge", "claude-haiku-judge");
        assertThat(aliasCandidate.exit()).as(aliasCandidate.err()).isEqualTo(EvalCommand.BAD_INPUT);
        assertThat(aliasCandidate.err()).contains("would grade support-bot (claude-haiku-4-5), a model of its own family (anthropic)");
        // ... but the OpenAI alias may
        Run other = eval("--tasks", tasks.toString(), "--models", "support-bot", "--judge", "my-judge", "--limit", "1",
                "--results", dir.resolve("alias.jsonl").toString());
        assertThat(other.exit()).as(other.err()).isEqualTo(EvalCommand.INCOMPLETE);
    }

    @Test
    void aRoutesFallbackOfTheJudgesFamilyIsSeenNotOnlyItsFirstDeployment() throws Exception {
        Path tasks = tasks(4, "judge");
        // mini-then-haiku answers from gpt-4o-mini, and from claude-haiku-4-5 when it falls back: Claude may not judge it
        Run refused = eval("--tasks", tasks.toString(), "--models", "mini-then-haiku", "--judge", "claude-haiku-judge");
        assertThat(refused.exit()).as(refused.err()).isEqualTo(EvalCommand.BAD_INPUT);
        assertThat(refused.err().strip()).isEqualTo("eval: the judge claude-haiku-judge (claude-haiku-4-5) would grade mini-then-haiku"
                + " (claude-haiku-4-5), a model of its own family (anthropic); pick a judge of another family or pass --allow-same-family");
        // nor may an OpenAI judge, for its first deployment
        Run openAi = eval("--tasks", tasks.toString(), "--models", "mini-then-haiku", "--judge", "gpt-4o-judge");
        assertThat(openAi.exit()).as(openAi.err()).isEqualTo(EvalCommand.BAD_INPUT);
        assertThat(openAi.err()).contains("would grade mini-then-haiku (gpt-4o-mini), a model of its own family (openai)");
        Run allowed = eval("--tasks", tasks.toString(), "--models", "mini-then-haiku", "--judge", "claude-haiku-judge",
                "--allow-same-family", "--limit", "1", "--results", dir.resolve("route-judged.jsonl").toString());
        assertThat(allowed.exit()).as(allowed.err()).isEqualTo(EvalCommand.INCOMPLETE);
    }

    @Test
    void noCandidatePassingExitsThree() throws Exception {
        Path tasks = tasks(40, null);
        Run run = eval("--tasks", tasks.toString(), "--models", "gpt-4.1-nano-q50");
        assertThat(run.exit()).as(run.err()).isEqualTo(EvalCommand.NONE_PASSES);
        assertThat(run.out()).contains("No candidate passes the gate.");
        Run lowGate = eval("--tasks", tasks.toString(), "--models", "gpt-4.1-nano-q50", "--gate", "0.3");
        assertThat(lowGate.exit()).isZero();

        Run unknownScorer = eval("--tasks", write("bad.jsonl", "{\"id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"scorer\":\"vibes\"}\n"),
                "--models", "gpt-4.1-nano-q50");
        assertThat(unknownScorer.exit()).isEqualTo(EvalCommand.BAD_INPUT);
        assertThat(unknownScorer.err()).contains("bad.jsonl:1", "unknown scorer 'vibes'");
    }

    @Test
    void aModelTheGatewayDoesNotServeIsAMistakeInTheInputSaidOnce() throws Exception {
        Path tasks = tasks(4, null);
        Path results = dir.resolve("typo.jsonl");
        Run typo = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini-q90,gpt-4o-mini-q9", "--results", results.toString());
        assertThat(typo.exit()).isEqualTo(EvalCommand.BAD_INPUT);
        assertThat(typo.err()).contains("has no model 'gpt-4o-mini-q9'", "gpt-4o-mini-q90").doesNotContain("run the same command again");
        assertThat(results).doesNotExist(); // nothing was asked, nothing spent

        Run judge = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini-q90", "--judge", "claude-nobody",
                "--results", results.toString());
        assertThat(judge.exit()).isEqualTo(EvalCommand.BAD_INPUT);
        assertThat(judge.err()).contains("has no model 'claude-nobody'");
    }

    @Test
    void aGatewayThatCannotBeReachedIsSaidOnceBeforeAnyTask() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Path results = dir.resolve("unreachable.jsonl");
        CommandLine cli = new CommandLine(new EvalCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        StringWriter out = new StringWriter(), err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("--url", "http://127.0.0.1:" + closedPort, "--tasks", tasks(5, null).toString(),
                "--models", "gpt-4o-mini-q90", "--results", results.toString());
        assertThat(exit).isEqualTo(EvalCommand.BAD_INPUT);
        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).contains("cannot reach the gateway at http://127.0.0.1:" + closedPort).doesNotContain("run the same command again");
        assertThat(results).doesNotExist();
    }

    @Test
    void aLabelForNoTaskOfTheRunIsSaidNotSilentlyDropped() throws Exception {
        Path tasks = tasks(4, null);
        String labels = write("typo-labels.jsonl", "{\"id\":\"t1\",\"pass\":false}\n{\"id\":\"t-1\",\"model\":\"gpt-4o-mini-q90\",\"pass\":true}\n");
        Run run = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini-q90", "--labels", labels, "--format", "json",
                "--results", dir.resolve("typo-labels-results.jsonl").toString());
        assertThat(run.exit()).as(run.err()).isIn(0, EvalCommand.NONE_PASSES);
        assertThat(run.err()).contains("1 task id in " + labels + " names no task of this run, so those labels apply to nothing: t-1")
                .doesNotContain(": t1");
    }

    String write(String name, String content) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file.toString();
    }

    @Test
    void anInterruptedRunResumesWithOnlyTheMissingAnswers() throws Exception {
        Path tasks = tasks(20, null);
        long before = sandbox.requestsReceived();
        Run first = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini-q90,gpt-4.1-nano-q50", "--limit", "7", "--concurrency", "2");
        assertThat(first.exit()).as(first.err()).isEqualTo(EvalCommand.INCOMPLETE);
        assertThat(first.out()).contains("Incomplete: 33 answers missing");
        assertThat(sandbox.requestsReceived() - before).isEqualTo(7);
        Path results = dir.resolve("results.jsonl");
        assertThat(Files.readAllLines(results)).hasSize(7);
        Files.writeString(results, "{\"task\":\"t19\",\"mod", java.nio.file.StandardOpenOption.APPEND); // killed mid-line

        Run rest = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini-q90,gpt-4.1-nano-q50", "--format", "json");
        assertThat(rest.err()).contains("7 answers already in");
        assertThat(sandbox.requestsReceived() - before).isEqualTo(40);
        JsonNode report = rest.json();
        assertThat(report.get("pending").asInt()).isZero();
        assertThat(report.at("/models/0/answers").asInt()).isEqualTo(20);
        assertThat(report.at("/models/0/passed").asInt()).isEqualTo(expectedPasses(20, 0.9));
        assertThat(report.at("/models/1/passed").asInt()).isEqualTo(expectedPasses(20, 0.5));
        boolean anyPasses = expectedPasses(20, 0.9) >= 15 || expectedPasses(20, 0.5) >= 15;
        assertThat(rest.exit()).isEqualTo(anyPasses ? 0 : EvalCommand.NONE_PASSES);
    }

    @Test
    void aRunStoppedLikeCtrlCKeepsTheCallsInFlightSoTheRerunPaysForNoneTwice() throws Exception {
        int n = 12;
        Path tasks = tasks(n, null);
        Path results = dir.resolve("stopped.jsonl");
        long before = sandbox.requestsReceived();
        Process eval = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), dev.tollgate.app.Main.class.getName(), "eval",
                "--url", gateway.baseUrl(), "--tasks", tasks.toString(), "--models", "gpt-4o-mini-slow",
                "--concurrency", "4", "--results", results.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("stopped.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (sandbox.requestsReceived() - before < 4 && System.nanoTime() < deadline) Thread.sleep(20);
            assertThat(sandbox.requestsReceived() - before).as("four calls in flight (each takes 1.5 s)").isEqualTo(4);
            eval.destroy(); // SIGTERM, which the JVM handles as it does Ctrl-C's SIGINT: shutdown hooks run
            assertThat(eval.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        } finally {
            eval.destroyForcibly();
        }
        long paid = sandbox.requestsReceived() - before;
        assertThat(Files.readAllLines(results).stream().filter(l -> l.contains("\"answer\"")).count())
                .as("every call paid for is kept: " + Files.readString(dir.resolve("stopped.log"))).isEqualTo(paid);
        assertThat(paid).isLessThan(n);

        Run rest = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini-slow", "--concurrency", "4",
                "--results", results.toString(), "--format", "json");
        assertThat(rest.json().get("pending").asInt()).isZero();
        assertThat(sandbox.requestsReceived() - before).as("each task paid once").isEqualTo(n);
    }

    static long ledgerCalls(String model) {
        ledger.flush();
        return ledger.recent(100_000).stream()
                .filter(e -> model.equals(e.requestedModel()) && "eval".equals(e.tags().get("feature")) && e.costUsd().signum() > 0)
                .count();
    }

    @Test
    void anAnswerTheJudgeGaveNoVerdictOnIsKeptAndNotPaidForAgain() throws Exception {
        int n = 6;
        Path tasks = tasks(n, "judge");
        Path results = dir.resolve("judge-down.jsonl");
        long paidBefore = ledgerCalls("gpt-4.1-nano-q50");
        BigDecimal costBefore = ledgerCost("gpt-4.1-nano-q50");
        Run down = eval("--tasks", tasks.toString(), "--models", "gpt-4.1-nano-q50", "--judge", "claude-judge-down",
                "--results", results.toString());
        assertThat(down.exit()).as(down.err()).isEqualTo(EvalCommand.INCOMPLETE);
        assertThat(down.out()).contains("Incomplete: " + n + " answers missing");
        assertThat(ledgerCalls("gpt-4.1-nano-q50") - paidBefore).isEqualTo(n);

        // the judge is back: only it is asked; the candidate's answers, already paid for, are not asked again
        Run back = eval("--tasks", tasks.toString(), "--models", "gpt-4.1-nano-q50", "--judge", "claude-haiku-judge",
                "--results", results.toString(), "--format", "json");
        assertThat(ledgerCalls("gpt-4.1-nano-q50") - paidBefore).as(back.err()).isEqualTo(n);
        JsonNode report = back.json();
        assertThat(report.get("pending").asInt()).isZero();
        int right = 0;
        for (int i = 0; i < n; i++) if (draw(prompt(i)) < 0.5) right++;
        assertThat(report.at("/models/0/passed").asInt()).isEqualTo(right);
        // and what they cost is counted, once
        assertThat(report.at("/models/0/cost_usd").decimalValue()).isEqualByComparingTo(ledgerCost("gpt-4.1-nano-q50").subtract(costBefore));
    }

    @Test
    void theJudgeIsMeasuredAgainstPeopleAndPeopleOverrideIt() throws Exception {
        int n = 40;
        Path tasks = tasks(n, "judge");
        // people label each answer by whether the candidate answered right: the truth the sandbox knows
        StringBuilder labels = new StringBuilder();
        int rightAnswers = 0;
        for (int i = 0; i < n; i++) {
            boolean right = draw(prompt(i)) < 0.5;
            if (right) rightAnswers++;
            labels.append("{\"id\":\"t").append(i).append("\",\"model\":\"gpt-4.1-nano-q50\",\"pass\":").append(right).append("}\n");
        }
        String labelFile = write("labels.jsonl", labels.toString());

        Run perfect = eval("--tasks", tasks.toString(), "--models", "gpt-4.1-nano-q50", "--judge", "claude-haiku-judge",
                "--labels", labelFile, "--format", "json", "--results", dir.resolve("perfect.jsonl").toString());
        assertThat(perfect.exit()).as(perfect.err()).isIn(0, EvalCommand.NONE_PASSES);
        JsonNode p = perfect.json();
        assertThat(p.at("/judge_agreement/answers").asInt()).isEqualTo(n);
        assertThat(p.at("/judge_agreement/rate").asDouble()).isEqualTo(1.0);
        assertThat(p.at("/judge_agreement/kappa").asDouble()).isCloseTo(1.0, within(1e-9));
        assertThat(p.at("/models/0/passed").asInt()).isEqualTo(rightAnswers);
        assertThat(p.at("/models/0/judge_cost_usd").decimalValue().signum()).isPositive();

        Path results80 = dir.resolve("judge80.jsonl");
        Run noisy = eval("--tasks", tasks.toString(), "--models", "gpt-4.1-nano-q50", "--judge", "claude-sonnet-judge80",
                "--labels", labelFile, "--format", "json", "--results", results80.toString());
        JsonNode j = noisy.json();
        // agreement and kappa, recomputed here from the judge's verdicts in the results file
        Map<String, Boolean> truth = new HashMap<>();
        for (int i = 0; i < n; i++) truth.put("t" + i, draw(prompt(i)) < 0.5);
        int a = 0, b = 0, c = 0, d = 0; // judge pass & people pass, judge pass & people fail, judge fail & pass, both fail
        for (String line : Files.readAllLines(results80)) {
            JsonNode r = Json.parse(line);
            boolean judge = r.get("pass").asBoolean(), people = truth.get(r.get("task").asText());
            if (judge && people) a++;
            else if (judge) b++;
            else if (people) c++;
            else d++;
        }
        double po = (a + d) / (double) n;
        double pe = ((a + b) / (double) n) * ((a + c) / (double) n) + ((c + d) / (double) n) * ((b + d) / (double) n);
        assertThat(j.at("/judge_agreement/rate").asDouble()).isCloseTo(po, within(1e-9)).isBetween(0.6, 0.97);
        assertThat(j.at("/judge_agreement/kappa").asDouble()).isCloseTo((po - pe) / (1 - pe), within(1e-9));
        assertThat(j.at("/models/0/passed").asInt()).as("people's labels override the judge").isEqualTo(rightAnswers);

        Run sameFamily = eval("--tasks", tasks.toString(), "--models", "gpt-4.1-nano-q50", "--judge", "gpt-4o-judge");
        assertThat(sameFamily.exit()).isEqualTo(EvalCommand.BAD_INPUT);
        assertThat(sameFamily.err()).contains("its own family (openai)", "--allow-same-family");
        Run allowed = eval("--tasks", tasks.toString(), "--models", "gpt-4.1-nano-q50", "--judge", "gpt-4o-judge",
                "--allow-same-family", "--limit", "2", "--results", dir.resolve("same.jsonl").toString());
        assertThat(allowed.exit()).as(allowed.err()).isEqualTo(EvalCommand.INCOMPLETE);
        Run noJudge = eval("--tasks", tasks.toString(), "--models", "gpt-4.1-nano-q50");
        assertThat(noJudge.exit()).isEqualTo(EvalCommand.BAD_INPUT);
        assertThat(noJudge.err()).contains("need --judge");
    }

    @Test
    void answersABudgetRefusedAreNotSentToARerunThatCannotGetThem() throws Exception {
        Path tasks = tasks(4, null);
        long before = sandbox.requestsReceived();
        Run refused = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini-q90", "--tags", "feature=eval-tiny",
                "--results", dir.resolve("budget.jsonl").toString());
        assertThat(refused.exit()).as(refused.err()).isEqualTo(EvalCommand.INCOMPLETE);
        assertThat(sandbox.requestsReceived()).as("refused before any upstream call").isEqualTo(before);
        assertThat(refused.out()).containsPattern("\nIncomplete: 4 answers missing: 4 refused by budget 'eval-tiny' \\(limit reached\\); "
                + "raise it or wait for its period \\(it resets [0-9T:-]+Z\\), then run the same command again\\.\n$");

        // with some not asked yet, a line per reason; JSON says which a rerun completes
        Run limited = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini-q90", "--tags", "feature=eval-tiny", "--limit", "1",
                "--results", dir.resolve("budget-limited.jsonl").toString());
        assertThat(limited.out()).contains("Incomplete: 4 answers missing:\n  1 refused by budget 'eval-tiny' (limit reached); ",
                "\n  3 not asked yet (--limit, or a run stopped early); run the same command again to complete them.\n");
        Run json = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini-q90", "--tags", "feature=eval-tiny", "--format", "json",
                "--results", dir.resolve("budget.jsonl").toString());
        assertThat(json.exit()).isEqualTo(EvalCommand.INCOMPLETE);
        JsonNode missing = json.json().get("missing");
        assertThat(missing).hasSize(1);
        assertThat(missing.at("/0/answers").asInt()).isEqualTo(4);
        assertThat(missing.at("/0/status").asInt()).isEqualTo(429);
        assertThat(missing.at("/0/budget").asText()).isEqualTo("eval-tiny");
        assertThat(missing.at("/0/rerun_completes").asBoolean()).isFalse();
        assertThat(sandbox.requestsReceived()).isEqualTo(before);
    }

    @Test
    void answersThatFailedForNowAreLeftToARerun() throws Exception {
        Path tasks = tasks(4, null);
        Run down = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini-down", "--format", "json",
                "--results", dir.resolve("down.jsonl").toString());
        assertThat(down.exit()).as(down.err()).isEqualTo(EvalCommand.INCOMPLETE);
        int missing = 0;
        for (JsonNode m : down.json().get("missing")) {
            assertThat(m.get("status").asInt()).isBetween(500, 599);
            assertThat(m.get("rerun_completes").asBoolean()).isTrue();
            missing += m.get("answers").asInt();
        }
        assertThat(missing).isEqualTo(4);

        // a rate limit refuses with 429 as a budget does, but a rerun completes what it refused
        Run slowly = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini-q90", "--tags", "feature=eval-slowly", "--concurrency", "1",
                "--results", dir.resolve("slowly.jsonl").toString());
        assertThat(slowly.exit()).as(slowly.err()).isEqualTo(EvalCommand.INCOMPLETE);
        assertThat(slowly.out()).contains("\nIncomplete: 3 answers missing: 3 rate limited (HTTP 429 rate_limit_exceeded); "
                + "run the same command again to complete them.\n");
    }
}
