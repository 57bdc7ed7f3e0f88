package dev.tollgate.gateway.budget;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.store.postgres.PgFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.tollgate.gateway.budget.BudgetsTest.CHAT;
import static dev.tollgate.gateway.budget.BudgetsTest.await;
import static dev.tollgate.gateway.budget.BudgetsTest.customer;
import static dev.tollgate.gateway.budget.BudgetsTest.miniCost;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two gateways, as two replicas would be (each its own services, DuckDB ledger and event loops), sharing one
 * PostgreSQL control plane ({@code ledger: type: postgres}) and no Redis: budgets and keys changed through either
 * replica's admin API reach the other within a second, and an alert both replicas cross fires once.
 */
class ControlPlaneTest {

    /** How soon a change on one replica must take effect on the other (issue 16). */
    static final Duration WITHIN = Duration.ofSeconds(1);

    @TempDir
    static Path dataA;
    @TempDir
    static Path dataB;
    static PgFixture pg;
    static WebhookReceiver hooks;
    static BudgetBed a, b;

    @BeforeAll
    static void start() throws Exception {
        pg = new PgFixture();
        hooks = new WebhookReceiver(0);
        String controls = """
                alerts:
                  first_backoff_ms: 50
                  channels:
                    - {type: webhook, url: "%s"}
                runaway: {enabled: false}
                anomaly: {enabled: false}
                """.formatted(hooks.url("/hook"));
        String ledger = "ledger: {type: postgres, url: \"%s\", schema: %s, pool_size: 2}".formatted(PgFixture.URL, pg.schema);
        a = new BudgetBed(dataA, controls, ledger);
        b = new BudgetBed(dataB, controls, ledger);
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg == null) return; // skipped: no PostgreSQL
        a.close();
        b.close();
        hooks.close();
        pg.close();
    }

    /** Calls {@code probe} until it is true, failing if that takes longer than {@link #WITHIN} from {@code since}. */
    static long within(long since, Check probe) throws Exception {
        while (true) {
            boolean done = probe.ok();
            long elapsedMs = (System.nanoTime() - since) / 1_000_000;
            if (done) return elapsedMs;
            assertThat(elapsedMs).as("took longer than " + WITHIN).isLessThan(WITHIN.toMillis());
            Thread.sleep(10);
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static HttpResponse<String> chat(BudgetBed bed, String... headers) throws Exception {
        return bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), headers);
    }

    @Test
    void aBudgetCreatedOnOneReplicaRefusesARequestOnTheOtherWithinASecond() throws Exception {
        assertThat(chat(b, customer("capped")).statusCode()).isEqualTo(200);

        HttpResponse<String> created = a.admin("POST", "/admin/budgets",
                "{\"name\":\"capped\",\"scope\":\"customer:capped\",\"period\":\"monthly\",\"limit_usd\":\"0\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        long since = System.nanoTime();
        within(since, () -> chat(b, customer("capped")).statusCode() == 429);
        HttpResponse<String> refused = chat(b, customer("capped"));
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(Json.parse(refused.body()).path("error").path("code").asText()).isEqualTo("budget_exceeded");
        assertThat(refused.headers().firstValue("x-tollgate-budget").orElseThrow()).isEqualTo("capped");

        // changed on B: A serves again; deleted on A: B no longer has it
        HttpResponse<String> raised = b.admin("PUT", "/admin/budgets/capped", "{\"limit_usd\":\"1000\"}");
        assertThat(raised.statusCode()).as(raised.body()).isEqualTo(200);
        within(System.nanoTime(), () -> chat(a, customer("capped")).statusCode() == 200);
        assertThat(a.admin("DELETE", "/admin/budgets/capped", null).statusCode()).isEqualTo(200);
        within(System.nanoTime(), () -> b.admin("GET", "/admin/budgets/capped", null).statusCode() == 404);
    }

    @Test
    void aKeyCreatedOnOneReplicaWorksOnTheOtherUntilItIsRevoked() throws Exception {
        HttpResponse<String> created = a.admin("POST", "/admin/keys", "{\"name\":\"ci-bot\",\"tags\":{\"team\":\"ml\"}}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode key = Json.parse(created.body());
        String secret = key.path("key").asText();
        assertThat(secret).startsWith("tg-").hasSizeGreaterThan(40);
        assertThat(key.path("tags").path("team").asText()).isEqualTo("ml");
        String[] bearer = {"authorization", "Bearer " + secret};

        within(System.nanoTime(), () -> chat(b, bearer).statusCode() == 200);
        JsonNode row = await(() -> {
            for (JsonNode r : b.adminJson("/admin/requests?limit=20").path("requests")) if (r.path("key").asText().equals("ci-bot")) return r;
            return null;
        });
        assertThat(row.path("tags").path("team").asText()).isEqualTo("ml");

        // listed on both, never with its secret
        for (BudgetBed bed : List.of(a, b)) {
            HttpResponse<String> list = bed.admin("GET", "/admin/keys", null);
            assertThat(list.statusCode()).isEqualTo(200);
            assertThat(list.body()).doesNotContain(secret).doesNotContain(TEAM_SECRET_HASH_PREFIX);
            List<String> names = new ArrayList<>();
            for (JsonNode k : Json.parse(list.body()).path("keys")) names.add(k.path("name").asText() + "/" + k.path("source").asText());
            assertThat(names).contains("ci-bot/admin", "team-key/config");
        }

        HttpResponse<String> revoked = a.admin("DELETE", "/admin/keys/ci-bot", null);
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
        within(System.nanoTime(), () -> chat(b, bearer).statusCode() == 401);
        assertThat(Json.parse(chat(b, bearer).body()).path("error").path("code").asText()).isEqualTo("invalid_api_key");
    }

    /** The first characters of the SHA-256 of the team key's secret: a listing shows no hash either. */
    static final String TEAM_SECRET_HASH_PREFIX = dev.tollgate.gateway.auth.KeyStore.hash(BudgetBed.TEAM_KEY).substring(0, 16);

    @Test
    void aConfigKeyRevokedOnOneReplicaIsRefusedOnBothAndTheAdminApiCanGiveItANewSecret() throws Exception {
        String[] loop = {"authorization", "Bearer " + BudgetBed.LOOP_KEY};
        assertThat(chat(a, loop).statusCode()).isEqualTo(200);
        assertThat(b.admin("DELETE", "/admin/keys/loop", null).statusCode()).isEqualTo(200);
        within(System.nanoTime(), () -> chat(a, loop).statusCode() == 401);

        HttpResponse<String> again = a.admin("POST", "/admin/keys", "{\"name\":\"loop\"}");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
        String[] fresh = {"authorization", "Bearer " + Json.parse(again.body()).path("key").asText()};
        within(System.nanoTime(), () -> chat(b, fresh).statusCode() == 200);
        assertThat(chat(b, loop).statusCode()).as("the old secret stays refused").isEqualTo(401);
    }

    @Test
    void keyAdminErrorsAreJsonWithTheirStatus() throws Exception {
        HttpResponse<String> taken = b.admin("POST", "/admin/keys", "{\"name\":\"team-key\"}");
        assertThat(taken.statusCode()).isEqualTo(409);
        assertThat(Json.parse(taken.body()).path("error").path("code").asText()).isEqualTo("key_exists");
        HttpResponse<String> withSecret = b.admin("POST", "/admin/keys", "{\"name\":\"mine\",\"key\":\"chosen-secret\"}");
        assertThat(withSecret.statusCode()).isEqualTo(400);
        assertThat(Json.parse(withSecret.body()).path("error").path("message").asText()).contains("unknown field 'key'");
        HttpResponse<String> badTag = b.admin("POST", "/admin/keys", "{\"name\":\"mine\",\"tags\":{\"Team Name\":\"x\"}}");
        assertThat(badTag.statusCode()).isEqualTo(400);
        HttpResponse<String> noName = b.admin("POST", "/admin/keys", "{\"tags\":{}}");
        assertThat(noName.statusCode()).isEqualTo(400);
        assertThat(b.admin("POST", "/admin/keys", "not json").statusCode()).isEqualTo(400);
        HttpResponse<String> missing = b.admin("DELETE", "/admin/keys/nobody", null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(Json.parse(missing.body()).path("error").path("code").asText()).isEqualTo("key_not_found");
        assertThat(b.admin("PUT", "/admin/keys/team-key", "{}").statusCode()).isEqualTo(405);
        assertThat(b.admin("GET", "/admin/keys", null).headers().firstValue("content-type").orElseThrow()).isEqualTo("application/json");
    }

    @Test
    void twoReplicasCrossingAThresholdAtOnceRecordAndSendItOnce() throws Exception {
        BigDecimal each = miniCost(Json.parse(chat(a, customer("probe")).body()));
        // each replica counts its own spend (no Redis here): one request on each reaches 40% of 2.5 requests on both
        BigDecimal limit = each.multiply(new BigDecimal("2.5"));
        HttpResponse<String> created = a.admin("POST", "/admin/budgets", "{\"name\":\"pair\",\"scope\":\"customer:pair\",\"period\":\"daily\","
                + "\"limit_usd\":\"" + limit.toPlainString() + "\",\"thresholds\":[40]}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        within(System.nanoTime(), () -> b.admin("GET", "/admin/budgets/pair", null).statusCode() == 200);

        CompletableFuture<HttpResponse<String>> onA = a.http.sendAsync(a.request("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"),
                customer("pair")), HttpResponse.BodyHandlers.ofString());
        CompletableFuture<HttpResponse<String>> onB = b.http.sendAsync(b.request("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"),
                customer("pair")), HttpResponse.BodyHandlers.ofString());
        assertThat(onA.join().statusCode()).isEqualTo(200);
        assertThat(onB.join().statusCode()).isEqualTo(200);
        // both crossed 40% on their own count
        for (BudgetBed bed : List.of(a, b)) {
            BigDecimal spent = await(() -> {
                BigDecimal s = new BigDecimal(bed.adminJson("/admin/budgets/pair").path("spent_usd").asText());
                return s.signum() > 0 ? s : null;
            });
            assertThat(spent).isGreaterThanOrEqualTo(limit.multiply(new BigDecimal("0.4")));
        }
        await(() -> hooksFor("pair").isEmpty() ? null : true);
        Thread.sleep(500); // the losing replica's claim, queued at the same moment, has been answered by now
        assertThat(hooksFor("pair")).hasSize(1);
        for (BudgetBed bed : List.of(a, b)) assertThat(SharedBudgetsTest.thresholds(bed, "pair")).containsExactly("40");
    }

    static List<WebhookReceiver.Received> hooksFor(String budget) {
        return hooks.at("/hook").stream().filter(h -> h.body().contains("\"subject\":\"" + budget + "\"")).toList();
    }
}
