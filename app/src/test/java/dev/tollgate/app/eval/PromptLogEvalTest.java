package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.app.eval.EvalCli.Run;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.SandboxGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tollgate eval --prompt-log}: production traffic (a perfect sandbox model, so every logged answer is the one
 * the prompt asks for) is logged with its answers; the eval replays a sample of it on candidates of known quality and
 * scores each answer against production's. Expected pass counts come from the sandbox's documented draw, computed
 * here on its own ({@link EvalCommandTest#draw}).
 */
class PromptLogEvalTest {

    static final int TRAFFIC = 40;

    static SandboxGateway bed;
    @TempDir
    static Path dataDir;
    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        bed = new SandboxGateway(dataDir, sandbox -> """
                admin: {token: admin}
                prompt_log: {enabled: true}
                providers:
                  perfect: {type: openai, base_url: %1$s/v1}
                  q60: {type: openai, base_url: %1$s/v1, headers: {x-sandbox-quality: "0.6"}}
                models:
                  - {name: gpt-4o, provider: perfect}
                  - {name: gpt-4o-mini-q60, provider: q60, model: gpt-4o-mini}
                """.formatted(sandbox));
        for (int i = 0; i < TRAFFIC; i++) {
            HttpResponse<String> r = bed.post("/v1/chat/completions", Json.object().put("model", "gpt-4o").set("messages", Json.array()
                    .add(Json.object().put("role", "system").put("content", "You are terse."))
                    .add(Json.object().put("role", "user").put("content", EvalCommandTest.prompt(i)))).toString(),
                    "x-tollgate-tags", "feature=support");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    Run eval(String... args) {
        // the gateway holds the ledger file, so the sample is asked of it (a data dir without a ledger file says so)
        List<String> all = new ArrayList<>(List.of("--url", bed.url(), "--admin-token", "admin",
                "--data", dir.resolve("no-ledger-here").toString()));
        all.addAll(List.of(args));
        return EvalCli.run(all);
    }

    @Test
    void candidatesAreScoredAgainstTheAnswersProductionGave() throws Exception {
        Path results = dir.resolve("results.jsonl");
        // a sample larger than the traffic takes all of it: the expected count is over every prompt sent
        Run run = eval("--prompt-log", "--sample", "1000", "--models", "gpt-4o-mini-q60,gpt-4o", "--format", "json",
                "--results", results.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode report = Json.parse(run.out());
        int expected = 0;
        for (int i = 0; i < TRAFFIC; i++) if (EvalCommandTest.draw(EvalCommandTest.prompt(i)) < 0.6) expected++;
        JsonNode candidate = report.at("/models/0"), same = report.at("/models/1");
        assertThat(candidate.path("model").asText()).isEqualTo("gpt-4o-mini-q60");
        assertThat(candidate.path("answers").asInt()).isEqualTo(TRAFFIC);
        assertThat(candidate.path("passed").asInt()).isEqualTo(expected);
        // the production model itself gives production's answers
        assertThat(same.path("passed").asInt()).isEqualTo(TRAFFIC);

        // a second run draws no eval call of the first: its own calls (feature=eval) are never tasks
        Run again = eval("--prompt-log", "--sample", "1000", "--models", "gpt-4o", "--format", "json",
                "--results", dir.resolve("again.jsonl").toString());
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(Json.parse(again.out()).at("/models/0/answers").asInt()).isEqualTo(TRAFFIC);
    }

    @Test
    void theSameSeedDrawsTheSameSampleAndAnotherSeedAnother() throws Exception {
        Set<String> first = drawn("7", "a.jsonl"), second = drawn("7", "b.jsonl"), other = drawn("8", "c.jsonl");
        assertThat(first).hasSize(10).isEqualTo(second);
        assertThat(other).hasSize(10).isNotEqualTo(first);
    }

    private Set<String> drawn(String seed, String file) throws Exception {
        Path results = dir.resolve(file);
        Run run = eval("--prompt-log", "--sample", "10", "--seed", seed, "--models", "gpt-4o", "--results", results.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        Set<String> ids = new HashSet<>();
        for (String line : Files.readAllLines(results)) if (!line.isBlank()) ids.add(Json.parse(line).path("task").asText());
        return ids;
    }

    @Test
    void neitherOrBothTaskSourcesIsAMistake() {
        assertThat(eval("--models", "gpt-4o").exit()).isEqualTo(EvalCommand.BAD_INPUT);
        Run both = eval("--prompt-log", "--tasks", "x.jsonl", "--models", "gpt-4o");
        assertThat(both.exit()).isEqualTo(EvalCommand.BAD_INPUT);
        assertThat(both.err()).contains("either --tasks FILE or --prompt-log");
    }
}
