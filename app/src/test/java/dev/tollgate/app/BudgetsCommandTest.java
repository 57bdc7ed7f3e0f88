package dev.tollgate.app;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code tollgate budgets …} against a real gateway's admin API. */
class BudgetsCommandTest {

    @TempDir
    static Path data;
    static Vertx vertx;
    static DuckDbLedger ledger;
    static GatewayServices services;
    static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        SandboxServer sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
        var config = new ConfigLoader(Map.<String, String>of()::get).parse("""
                admin: {token: cli-secret}
                providers: {sandbox: {type: openai, base_url: "http://127.0.0.1:%d/v1"}}
                models: [{name: gpt-4o-mini, provider: sandbox}]
                spend_controls:
                  budgets:
                    - {name: org-monthly, scope: org, period: monthly, limit_usd: "1000", time_zone: UTC}
                """.formatted(sandbox.port()));
        ledger = DuckDbLedger.open(data);
        services = GatewayServices.of(config, PriceCatalog.bundled(), ledger);
        gateway = Gateway.start(vertx, services, 0, 1).await();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        services.budgets().close();
        ledger.close();
        vertx.close().await();
    }

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.commandLine().execute(args);
            return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void createListSetDelete() {
        String[] at = {"--url", gateway.baseUrl(), "--admin-token", "cli-secret"};
        Run created = run(concat(new String[] {"budgets", "create", "search", "--scope", "team:search", "--limit", "50",
                "--period", "daily", "--action", "downgrade", "--downgrade-to", "gpt-4o-mini", "--thresholds", "50,90"}, at));
        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(created.out()).contains("search").contains("team:search").contains("$50").contains("downgrade → gpt-4o-mini");

        Run list = run(concat(new String[] {"budgets", "list"}, at));
        assertThat(list.exit()).isZero();
        String[] lines = list.out().split("\n");
        assertThat(lines[0]).startsWith("NAME").contains("SPENT").contains("REMAINING").contains("RESETS");
        assertThat(lines[1]).startsWith("org-monthly").contains("$1000").contains("$0");
        assertThat(lines[2]).startsWith("search");

        Run set = run(concat(new String[] {"budgets", "set", "search", "--limit", "75.25"}, at));
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.out()).contains("$75.25").contains("downgrade → gpt-4o-mini");

        assertThat(run(concat(new String[] {"budgets", "delete", "search"}, at)).out()).contains("deleted budget 'search'");
        Run gone = run(concat(new String[] {"budgets", "delete", "search"}, at));
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.err()).contains("no budget named 'search'");
    }

    @Test
    void findsTheGatewayThatServesTheDataDirectory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path data) throws Exception {
        GatewayLink.announce(data, gateway.baseUrl(), "cli-secret"); // as serve does
        Run list = run("budgets", "list", "--data", data.toString());
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).contains("NAME");
        Run none = run("budgets", "list", "--data", data.resolve("elsewhere").toString(), "--url", gateway.baseUrl());
        assertThat(none.err()).contains("no admin token");
    }

    @Test
    void mistakesAreWorded() {
        Run badToken = run("budgets", "list", "--url", gateway.baseUrl(), "--admin-token", "wrong");
        assertThat(badToken.exit()).isEqualTo(1);
        assertThat(badToken.err()).contains("admin API needs");
        Run nobody = run("budgets", "list", "--url", "http://127.0.0.1:1", "--admin-token", "x");
        assertThat(nobody.err()).contains("no gateway answers at http://127.0.0.1:1");
        Run missing = run("budgets", "create", "x", "--url", gateway.baseUrl(), "--admin-token", "cli-secret");
        assertThat(missing.exit()).isEqualTo(2);
        Run badScope = run("budgets", "create", "x", "--scope", "team", "--limit", "5", "--url", gateway.baseUrl(), "--admin-token", "cli-secret");
        assertThat(badScope.err()).contains("TAG:VALUE");
    }

    @Test
    void keysAddedThroughTheCliAuthenticateUntilRevoked() throws Exception {
        String[] at = {"--url", gateway.baseUrl(), "--admin-token", "cli-secret"};
        Run added = run(concat(new String[] {"keys", "add", "notebook", "--tag", "team=research"}, at));
        assertThat(added.exit()).as(added.err()).isZero();
        String secret = added.out().lines().filter(l -> l.startsWith("key:")).findFirst().orElseThrow().substring(4).trim();
        assertThat(secret).startsWith("tg-");
        assertThat(chat(secret)).isEqualTo(200);
        assertThat(chat(null)).as("the gateway was open; with a key it asks for one").isEqualTo(401);

        Run list = run(concat(new String[] {"keys", "list"}, at));
        assertThat(list.exit()).isZero();
        assertThat(list.out()).doesNotContain(secret);
        assertThat(list.out().lines().toList().get(1)).startsWith("notebook").contains("admin").contains("team=research");

        assertThat(run(concat(new String[] {"keys", "revoke", "notebook"}, at)).out()).contains("revoked key 'notebook'");
        assertThat(chat(secret)).isEqualTo(401);
        Run again = run(concat(new String[] {"keys", "revoke", "notebook"}, at));
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("no key named 'notebook'");
    }

    static int chat(String key) throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                .header("content-type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        if (key != null) request.header("authorization", "Bearer " + key);
        try (var http = java.net.http.HttpClient.newHttpClient()) {
            return http.send(request.build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }

    static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
