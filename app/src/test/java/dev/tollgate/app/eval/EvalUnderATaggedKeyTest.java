package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.app.eval.EvalCli.Run;
import dev.tollgate.app.plan.PlanAdminRoutes;
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

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The eval through a key whose own tags set {@code feature}: they win over the eval's {@code --tags}, so its calls are
 * metered as the key's feature, and still they are left out of the savings replay and the prompt-log sample.
 */
class EvalUnderATaggedKeyTest {

    static final int TRAFFIC = 20;
    static final String KEY = "tg-support-app-key";

    static Vertx vertx;
    static SandboxServer sandbox;
    static DuckDbLedger ledger;
    static GatewayServices services;
    static Gateway gateway;
    @TempDir
    static Path dataDir;
    @TempDir
    Path dir;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
        String config = """
                admin: {token: admin}
                prompt_log: {enabled: true}
                keys:
                  - {key: %2$s, name: support-app, tags: {feature: support}}
                providers:
                  perfect: {type: openai, base_url: %1$s}
                  q60: {type: openai, base_url: %1$s, headers: {x-sandbox-quality: "0.6"}}
                models:
                  - {name: gpt-4o, provider: perfect}
                  - {name: gpt-4o-mini, provider: q60}
                """.formatted("http://127.0.0.1:" + sandbox.port() + "/v1", KEY);
        ledger = DuckDbLedger.open(dataDir);
        services = GatewayServices.of(new ConfigLoader(Map.<String, String>of()::get).parse(config), PriceCatalog.bundled(), ledger)
                .withAdminRoutes(PlanAdminRoutes.all());
        gateway = Gateway.start(vertx, services, 0, 1).await();
        // production traffic of the key on gpt-4o, the route the eval prices a switch of
        for (int i = 0; i < TRAFFIC; i++) {
            String body = Json.object().put("model", "gpt-4o").set("messages", Json.array()
                    .add(Json.object().put("role", "user").put("content", EvalCommandTest.prompt(i)))).toString();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                    .header("content-type", "application/json").header("authorization", "Bearer " + KEY)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
    }

    @AfterAll
    static void stop() {
        gateway.close();
        services.observability().close();
        ledger.close();
        vertx.close().await();
    }

    Run eval(String... args) {
        List<String> all = new ArrayList<>(List.of("--url", gateway.baseUrl(), "--key", KEY, "--admin-token", "admin"));
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
        ledger.flush();
        List<LedgerEntry> evalCalls = ledger.recent(100_000).stream().filter(e -> "eval".equals(e.tags().get("tollgate"))).toList();
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
