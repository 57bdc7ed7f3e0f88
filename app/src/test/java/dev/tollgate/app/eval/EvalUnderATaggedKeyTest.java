package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.app.eval.EvalCli.Run;
import dev.tollgate.app.plan.PlanAdminRoutes;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.SandboxGateway;
import dev.tollgate.store.LedgerEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The eval through a key whose own tags set {@code feature}: they win over the eval's {@code --tags}, so its calls are
 * metered as the key's feature, and still they are left out of the savings replay and the prompt-log sample.
 */
class EvalUnderATaggedKeyTest {

    static final int TRAFFIC = 20;
    static final String KEY = "tg-support-app-key";

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
                keys:
                  - {key: %2$s, name: support-app, tags: {feature: support}}
                providers:
                  perfect: {type: openai, base_url: %1$s/v1}
                  q60: {type: openai, base_url: %1$s/v1, headers: {x-sandbox-quality: "0.6"}}
                models:
                  - {name: gpt-4o, provider: perfect}
                  - {name: gpt-4o-mini, provider: q60}
                """.formatted(sandbox, KEY), services -> services.withAdminRoutes(PlanAdminRoutes.all()));
        // production traffic of the key on gpt-4o, the route the eval prices a switch of
        for (int i = 0; i < TRAFFIC; i++) {
            HttpResponse<String> r = bed.post("/v1/chat/completions", Json.object().put("model", "gpt-4o").set("messages", Json.array()
                    .add(Json.object().put("role", "user").put("content", EvalCommandTest.prompt(i)))).toString(),
                    "authorization", "Bearer " + KEY);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    Run eval(String... args) {
        List<String> all = new ArrayList<>(List.of("--url", bed.url(), "--key", KEY, "--admin-token", "admin"));
        all.addAll(List.of(args));
        return EvalCli.run(all);
    }

    @Test
    void theEvalsOwnCallsAreLeftOutOfTheSampleAndTheSavingWhateverTheKeysFeature() throws Exception {
        // the gateway holds the ledger file: a data dir without one has the sample asked of it
        String noLedger = dir.resolve("no-ledger-here").toString();
        Run first = eval("--prompt-log", "--sample", "1000", "--models", "gpt-4o", "--format", "json",
                "--data", noLedger, "--results", dir.resolve("first.jsonl").toString());
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(Json.parse(first.out()).at("/models/0/answers").asInt()).isEqualTo(TRAFFIC);

        // the key's feature won over the eval's feature=eval: its calls are metered as the key's
        bed.ledger.flush();
        List<LedgerEntry> evalCalls = bed.ledger.recent(100_000).stream().filter(e -> "eval".equals(e.tags().get("tollgate"))).toList();
        assertThat(evalCalls).hasSize(TRAFFIC).allSatisfy(e -> assertThat(e.tags()).containsEntry("feature", "support"));

        // ... and still a second run draws none of them: production's prompts only
        Run second = eval("--prompt-log", "--sample", "1000", "--models", "gpt-4o", "--format", "json",
                "--data", noLedger, "--results", dir.resolve("second.jsonl").toString());
        assertThat(second.exit()).as(second.err()).isZero();
        assertThat(Json.parse(second.out()).at("/models/0/answers").asInt()).isEqualTo(TRAFFIC);

        // switching gpt-4o counts its production requests, not the eval's 2 x TRAFFIC calls to it above
        Path tasks = dir.resolve("tasks.jsonl");
        Files.writeString(tasks, "{\"id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}],\"reference\":\"hi\"}\n");
        Run saving = eval("--tasks", tasks.toString(), "--models", "gpt-4o-mini", "--gate", "0", "--route", "gpt-4o", "--format", "json",
                "--data", dataDir.toString(), "--results", dir.resolve("saving.jsonl").toString());
        assertThat(saving.exit()).as(saving.err()).isZero();
        JsonNode switchSaving = Json.parse(saving.out()).get("switch_saving");
        assertThat(switchSaving).as(saving.err()).isNotNull();
        assertThat(switchSaving.get("requests").asLong()).isEqualTo(TRAFFIC);
    }
}
