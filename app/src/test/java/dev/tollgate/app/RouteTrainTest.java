package dev.tollgate.app;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.tier.CentroidClassifier;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tollgate route train} against a gateway in front of the sandbox: two tiers whose examples share no wording
 * (so a nearest-centroid classifier over the sandbox's lexical embeddings separates them), a stratified held-out share
 * whose size is worked out here, every embedding call metered under the command's tags.
 */
class RouteTrainTest {

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
        String config = """
                providers: {sandbox: {type: openai, base_url: "http://127.0.0.1:%d/v1"}}
                models: [{name: text-embedding-3-small, provider: sandbox}]
                """.formatted(sandbox.port());
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

    record Run(int exit, String out, String err) {
    }

    Run train(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        String[] all = new String[args.length + 4];
        all[0] = "route";
        all[1] = "train";
        all[2] = "--url";
        all[3] = gateway.baseUrl();
        System.arraycopy(args, 0, all, 4, args.length);
        return new Run(cli.execute(all), out.toString(), err.toString());
    }

    static final List<String> PLACES = List.of("Canada", "Mexico", "France", "Japan", "Brazil", "Norway", "Kenya", "Chile", "Peru", "Spain");
    static final List<String> SYSTEMS = List.of("payment retry", "session cache", "billing ledger", "search indexer", "upload pipeline",
            "audit trail", "rate limiter", "token refresh", "job scheduler", "event bus");

    /** 10 shop questions (tier small, half as messages) and 10 engineering tasks (tier flagship). */
    Path labelled() throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            String question = (i % 2 == 0 ? "Do you ship to " : "How long is delivery to ") + PLACES.get(i) + "?";
            if (i % 2 == 0) {
                lines.append(Json.object().put("text", question).put("tier", "small")).append('\n');
            } else {
                var line = Json.object();
                line.putArray("messages").addObject().put("role", "user").put("content", question);
                lines.append(line.put("tier", "small")).append('\n');
            }
            String task = (i % 2 == 0 ? "Refactor the concurrent " : "Analyse the asymptotic complexity of the ") + SYSTEMS.get(i)
                    + (i % 2 == 0 ? " module to remove the deadlock between worker threads." : " algorithm and propose a lock-free design.");
            lines.append(Json.object().put("text", task).put("tier", "flagship")).append('\n');
        }
        return Files.writeString(dir.resolve("labelled.jsonl"), lines);
    }

    @Test
    void trainsASeparableSetToFullHeldOutAccuracyAndMetersTheEmbeddings() throws Exception {
        Path out = dir.resolve("classifier.json");
        BigDecimal before = embeddingCost();
        Run run = train("--data", labelled().toString(), "--embeddings-model", "text-embedding-3-small", "--out", out.toString(),
                "--batch", "7");
        assertThat(run.exit()).as(run.err()).isZero();
        // a fifth of each tier's 10 held out: 2 + 2, trained on the other 16
        assertThat(run.out()).contains("20 examples of 2 tiers (small 10, flagship 10)")
                .contains("held-out accuracy: 100.0% (4 of 4 right; trained on the other 16)");

        CentroidClassifier classifier = CentroidClassifier.read(out);
        assertThat(classifier.labels()).containsExactly("small", "flagship");
        assertThat(classifier.embeddingsModel()).isEqualTo("text-embedding-3-small");
        assertThat(classifier.dimensions()).isEqualTo(1536);

        // 20 texts in batches of 7: 3 calls, all in the ledger under the command's tags, costing what it printed
        Matcher cost = Pattern.compile("for \\$([0-9.]+)").matcher(run.out());
        assertThat(cost.find()).as(run.out()).isTrue();
        assertThat(embeddingCost().subtract(before)).isPositive().isEqualByComparingTo(new BigDecimal(cost.group(1)));
    }

    @Test
    void aSetOfOneTierIsAOneLineMistake() throws Exception {
        Path one = Files.writeString(dir.resolve("one.jsonl"), "{\"text\":\"hi\",\"tier\":\"small\"}\n{\"text\":\"yo\",\"tier\":\"small\"}\n");
        Run run = train("--data", one.toString(), "--embeddings-model", "text-embedding-3-small", "--out", dir.resolve("c.json").toString());
        assertThat(run.exit()).isNotZero();
        assertThat(run.err().strip().lines().count()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).contains("a classifier needs at least two");
        Path unlabelled = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\":\"hi\"}\n");
        Run bad = train("--data", unlabelled.toString(), "--embeddings-model", "text-embedding-3-small");
        assertThat(bad.err()).contains("line 1 has no \"tier\"");
    }

    static BigDecimal embeddingCost() {
        ledger.flush();
        return ledger.recent(100_000).stream()
                .filter(e -> "route-train".equals(e.tags().get("feature")) && "text-embedding-3-small".equals(e.requestedModel()))
                .map(LedgerEntry::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
    }
}
