package dev.tollgate.gateway.shadow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.SandboxGateway;
import dev.tollgate.gateway.budget.BudgetBook;
import dev.tollgate.store.ShadowAnswer;
import dev.tollgate.store.duckdb.DuckDbLedger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shadow traffic on the real gateway in front of the sandbox: the client's answer is complete while the shadow call is
 * still held; a 50% sample takes exactly every other request; the lane and recorder threads run at nice 10, the client's
 * event loops at 0; shadow calls are rows of their
 * own (key shadow, tag shadow=ROUTE, the client's request id) charged to the shadow budget, never to the client's; a
 * budget that refuses a shadow call skips it; both answers are kept, redacted, for {@code eval --shadow}.
 */
class ShadowTest {

    /** OpenAI's list prices, USD per million tokens (input, output). */
    private static final Map<String, BigDecimal[]> LIST = Map.of(
            "gpt-4o-mini", new BigDecimal[] {new BigDecimal("0.15"), new BigDecimal("0.60")},
            "gpt-4o", new BigDecimal[] {new BigDecimal("2.50"), new BigDecimal("10.00")});
    private static final double CANDIDATE_QUALITY = 0.6;

    @TempDir
    static Path data;
    static SandboxGateway bed;
    static DuckDbLedger ledger;
    static GatewayServices services;
    static Gateway gateway;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        bed = new SandboxGateway(data, sandbox -> """
                admin: {token: admin}
                providers:
                  prod:      {type: openai, base_url: "%1$s/v1"}
                  candidate: {type: openai, base_url: "%1$s/v1", headers: {x-sandbox-quality: "%2$s"}}
                  held:      {type: openai, base_url: "%1$s/v1", headers: {x-sandbox-latency-ms: "120000"}}
                models:
                  - {name: cand, provider: candidate, model: gpt-4o-mini}
                  - {name: cand-held, provider: held, model: gpt-4o-mini}
                routes:
                  - {name: held, deployments: [{provider: prod, model: gpt-4o}], shadow: {model: cand-held, sample: 1, max_in_flight: 2}}
                  - {name: half, deployments: [{provider: prod, model: gpt-4o}], shadow: {model: cand, sample: 0.5, budget: shadow-half, max_in_flight: 64}}
                  - {name: every, deployments: [{provider: prod, model: gpt-4o}], shadow: {model: cand, sample: "1"}}
                  - {name: nice, deployments: [{provider: prod, model: gpt-4o}], shadow: {model: cand, sample: 1}}
                  - {name: crowd, deployments: [{provider: prod, model: gpt-4o}], shadow: {model: cand, sample: 1, max_in_flight: 1000}}
                  - {name: starved, deployments: [{provider: prod, model: gpt-4o}], shadow: {model: cand, sample: 1, budget: shadow-starved}}
                spend_controls:
                  budgets:
                    - {name: team-a, scope: "team:a", period: monthly, limit_usd: "100", action: block}
                    - {name: shadow-half, scope: "shadow:half", period: monthly, limit_usd: "100", action: block}
                    - {name: shadow-starved, scope: "shadow:starved", period: monthly, limit_usd: "0.000001", action: block}
                """.formatted(sandbox, CANDIDATE_QUALITY));
        ledger = bed.ledger;
        services = bed.services;
        gateway = bed.gateway;
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    private static HttpResponse<String> ask(String model, String prompt) throws Exception {
        String body = Json.object().put("model", model).set("messages", Json.array().add(Json.object().put("role", "user")
                .put("content", prompt))).toString();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                .header("content-type", "application/json").header("x-tollgate-tags", "team=a")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response;
    }

    private static String id(HttpResponse<String> response) {
        return response.headers().firstValue("x-tollgate-request-id").orElseThrow();
    }

    private static String content(HttpResponse<String> response) {
        return Json.tree(response.body()).path("choices").path(0).path("message").path("content").asText();
    }

    private static List<JsonNode> rows() throws Exception {
        JsonNode all = bed.admin("/admin/requests?limit=1000");
        List<JsonNode> out = new ArrayList<>();
        all.path("requests").forEach(out::add);
        return out;
    }

    private static List<JsonNode> shadowRows(String route) throws Exception {
        return rows().stream().filter(r -> route.equals(r.path("tags").path("shadow").asText(null))).toList();
    }

    /**
     * Waits for something the gateway does in the background; fails after 60 s (a bound, not a measurement: the lane
     * runs at a low CPU priority, so on a loaded machine it gets the CPU last).
     */
    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    static BigDecimal listCost(String model, JsonNode row) {
        BigDecimal[] p = LIST.get(model);
        return p[0].multiply(BigDecimal.valueOf(row.path("input_tokens").asLong()))
                .add(p[1].multiply(BigDecimal.valueOf(row.path("output_tokens").asLong())))
                .divide(BigDecimal.valueOf(1_000_000));
    }

    /** The sandbox's documented draw for a prompt: the first 53 bits of its SHA-256, over 2^53. */
    static double draw(String prompt) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(prompt.getBytes(StandardCharsets.UTF_8));
        long v = 0;
        for (int i = 0; i < 8; i++) v = v << 8 | (d[i] & 0xff);
        return (v >>> 11) / Math.pow(2, 53);
    }

    static BigDecimal spent(String budget) {
        for (BudgetBook.Entry e : services.budgets().book().entries()) {
            if (e.budget().name().equals(budget)) return e.state().spent();
        }
        throw new AssertionError("no budget " + budget);
    }

    @Test
    void theClientsAnswerIsCompleteWhileTheShadowCallIsStillHeld() throws Exception {
        Shadow shadow = services.router().group("held").shadow();
        for (int n = 1; n <= 3; n++) {
            int i = n;
            HttpResponse<String> response = ask("held", "Reply with exactly: held " + i);
            // the whole answer is here (the body is read to its end), and it is the production model's
            assertThat(content(response)).isEqualTo("held " + i);
            assertThat(response.headers().firstValue("x-tollgate-deployment")).hasValue("prod/gpt-4o");
            int started = Math.min(i, 2);
            await("shadow call " + i + " to start or be shed", () -> shadow.sent() + shadow.shed() == i);
            // the candidate holds every call it gets: each started shadow call is still running after its client is done
            assertThat(shadow.inFlight()).isEqualTo(started);
            assertThat(shadow.sent()).isEqualTo(started);
        }
        // the third found max_in_flight (2) calls running: shed, counted in /metrics, never queued
        assertThat(shadow.shed()).isEqualTo(1);
        String metrics = bed.metrics();
        assertThat(metrics.lines().filter(l -> l.startsWith("tollgate_shadow_shed_total{") && l.contains("route=\"held\"")))
                .singleElement().satisfies(l -> assertThat(l).endsWith(" 1.0"));
        assertThat(metrics.lines().filter(l -> l.startsWith("tollgate_shadow_in_flight{") && l.contains("route=\"held\"")))
                .singleElement().satisfies(l -> assertThat(l).endsWith(" 2.0"));
        assertThat(shadowRows("held")).isEmpty(); // nothing answered yet, nothing metered yet
    }

    @Test
    void halfSamplingTakesEveryOtherRequestAndMetersItApart() throws Exception {
        BigDecimal teamBefore = spent("team-a");
        Map<String, String> promptOf = new HashMap<>();
        Set<String> expected = new HashSet<>();
        BigDecimal toldClients = BigDecimal.ZERO;
        for (int n = 1; n <= 40; n++) {
            String prompt = "Reply with exactly: answer " + n;
            HttpResponse<String> response = ask("half", prompt);
            promptOf.put(id(response), prompt);
            if (n % 2 == 0) expected.add(id(response)); // the route's 2nd, 4th, … request
            toldClients = toldClients.add(new BigDecimal(response.headers().firstValue("x-tollgate-cost-usd").orElseThrow()));
        }
        assertThat(expected).hasSize(20); // under max_in_flight (64), so none is shed however far behind the lane is

        Shadow shadow = services.router().group("half").shadow();
        await("the sampled shadow calls to end", () -> shadow.sent() == expected.size() && shadow.inFlight() == 0);
        List<JsonNode> shadows = shadowRows("half");
        Set<String> shadowed = new HashSet<>();
        BigDecimal shadowCost = BigDecimal.ZERO;
        for (JsonNode row : shadows) {
            shadowed.add(row.path("request_id").asText());
            assertThat(row.path("key").asText()).isEqualTo("shadow");
            assertThat(row.path("tags").size()).isEqualTo(1); // not the client's team: team reports are not inflated
            assertThat(row.path("requested_model").asText()).isEqualTo("cand");
            assertThat(row.path("provider").asText()).isEqualTo("candidate");
            assertThat(row.path("status").asInt()).isEqualTo(200);
            assertThat(row.path("cost_usd").decimalValue()).isPositive().isEqualByComparingTo(listCost("gpt-4o-mini", row));
            shadowCost = shadowCost.add(row.path("cost_usd").decimalValue());
        }
        assertThat(shadowed).isEqualTo(expected);
        // a look-up by request id finds the client's own row, not its shadow's
        String someShadowed = expected.iterator().next();
        JsonNode lookedUp = bed.admin("/admin/requests/" + someShadowed).path("request");
        assertThat(lookedUp.path("requested_model").asText()).isEqualTo("half");
        assertThat(lookedUp.path("tags").path("team").asText()).isEqualTo("a");

        // the clients' own rows and spend are what they were told, shadows apart
        BigDecimal clientRows = BigDecimal.ZERO;
        for (JsonNode row : rows()) {
            if (!promptOf.containsKey(row.path("request_id").asText()) || row.path("tags").has("shadow")) continue;
            assertThat(row.path("tags").path("team").asText()).isEqualTo("a");
            assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(listCost("gpt-4o", row));
            clientRows = clientRows.add(row.path("cost_usd").decimalValue());
        }
        assertThat(clientRows).isEqualByComparingTo(toldClients);
        assertThat(spent("team-a").subtract(teamBefore)).isEqualByComparingTo(toldClients);
        assertThat(spent("shadow-half")).isEqualByComparingTo(shadowCost);

        // both answers are kept for scoring: the candidate (quality 0.6) is right where the sandbox's draw says
        services.observability().shadows().flush();
        List<ShadowAnswer> kept = ledger.shadows().answers("half", null, null);
        assertThat(kept).extracting(ShadowAnswer::requestId).containsExactlyInAnyOrderElementsOf(expected);
        for (ShadowAnswer a : kept) {
            String prompt = promptOf.get(a.requestId());
            String reference = prompt.substring("Reply with exactly: ".length());
            assertThat(a.prompt()).isEqualTo(prompt);
            assertThat(a.productionAnswer()).isEqualTo(reference);
            assertThat(a.candidate()).isEqualTo("cand");
            assertThat(a.candidateError()).isNull();
            assertThat(a.candidateAnswer().equals(reference)).as(prompt).isEqualTo(draw(prompt) < CANDIDATE_QUALITY);
            JsonNode row = shadows.stream().filter(r -> r.path("request_id").asText().equals(a.requestId())).findFirst().orElseThrow();
            assertThat(a.candidateCostUsd()).isEqualByComparingTo(row.path("cost_usd").decimalValue());
        }
    }

    /**
     * Hand-overs from both event loops while the lane is busy queue for its next turn, and the recorder takes the
     * answers in batches: none may be lost. 48 clients at once, every request sampled, room for all of them in flight.
     */
    @Test
    void concurrentClientsEachGetTheirShadowCallAndKeptAnswer() throws Exception {
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int n = 1; n <= 48; n++) {
            String body = Json.object().put("model", "crowd").set("messages", Json.array().add(Json.object()
                    .put("role", "user").put("content", "Reply with exactly: crowd " + n))).toString();
            sent.add(http.sendAsync(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        Set<String> clients = new HashSet<>();
        for (var f : sent) {
            HttpResponse<String> response = f.get();
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            clients.add(id(response));
        }
        assertThat(clients).hasSize(48);

        Shadow shadow = services.router().group("crowd").shadow();
        await("the shadow calls to end", () -> shadow.sent() == 48 && shadow.inFlight() == 0);
        assertThat(shadow.shed()).isZero();
        assertThat(shadowRows("crowd")).extracting(r -> r.path("request_id").asText()).containsExactlyInAnyOrderElementsOf(clients);
        services.observability().shadows().flush();
        assertThat(ledger.shadows().answers("crowd", null, null)).extracting(ShadowAnswer::requestId)
                .containsExactlyInAnyOrderElementsOf(clients);
    }

    @Test
    void keptAnswersAreRedactedAsThePromptLogIs() throws Exception {
        HttpResponse<String> response = ask("every", "Reply with exactly: write to jane.doe@example.com");
        assertThat(content(response)).isEqualTo("write to jane.doe@example.com"); // the client's answer is untouched
        Shadow shadow = services.router().group("every").shadow();
        await("the shadow call to end", () -> shadow.sent() == 1 && shadow.inFlight() == 0);
        services.observability().shadows().flush();
        ShadowAnswer kept = ledger.shadows().answers("every", null, null).stream()
                .filter(a -> a.requestId().equals(id(response))).findFirst().orElseThrow();
        assertThat(kept.prompt()).isEqualTo("Reply with exactly: write to [EMAIL]");
        assertThat(kept.productionAnswer()).isEqualTo("write to [EMAIL]");
        assertThat(kept.toString()).doesNotContain("jane.doe");
    }

    @Test
    void aShadowCallItsBudgetRefusesIsSkipped() throws Exception {
        Shadow shadow = services.router().group("starved").shadow();
        for (int i = 0; i < 2; i++) assertThat(content(ask("starved", "Reply with exactly: starved " + i))).isEqualTo("starved " + i);
        await("both shadow calls to be refused", () -> shadow.refused() == 2);
        assertThat(shadow.inFlight()).isZero();
        assertThat(shadowRows("starved")).isEmpty();
        assertThat(spent("shadow-starved")).isZero();
        services.observability().shadows().flush();
        assertThat(ledger.shadows().answers("starved", null, null)).isEmpty();
    }

    @Test
    void shadowThreadsRunAtALowPriorityAndTheClientsEventLoopsDoNot() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"), "nice values are per thread on Linux");
        ask("nice", "Reply with exactly: nice"); // the lane has run a call
        // the lane's event loop, the recorder's thread and the answers' store writer ("tollgate-shadow-answers-writer",
        // cut to 15 bytes), lowered a moment after their first work
        long deadline = System.nanoTime() + 60_000_000_000L;
        List<Integer> low = List.of(10); // BackgroundPriority.NICE, written out
        while (!(low.equals(niceByName().get("shadow-lane")) && low.equals(niceByName().get("shadow-redactor"))
                && low.equals(niceByName().get("tollgate-shadow")))) {
            if (System.nanoTime() > deadline) throw new AssertionError("shadow threads not at nice 10: " + niceByName());
            Thread.sleep(20);
        }
        assertThat(niceByName().entrySet().stream().filter(e -> e.getKey().startsWith("vert.x-eventloo"))
                .flatMap(e -> e.getValue().stream())).isNotEmpty().containsOnly(0);
        assertThat(niceByName().get("tollgate-ledger")).as("the ledger writer, which writes the clients' rows too").containsOnly(0);
    }

    /** This process's threads by name, read from Linux's /proc: comm is the name cut to 15 bytes; nice is stat's 19th field. */
    private static Map<String, List<Integer>> niceByName() {
        Map<String, List<Integer>> out = new HashMap<>();
        try (var tasks = java.nio.file.Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = java.nio.file.Files.readString(task.resolve("comm")).strip();
                    String stat = java.nio.file.Files.readString(task.resolve("stat"));
                    int nice = Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19 - 3]);
                    out.computeIfAbsent(name, k -> new ArrayList<>()).add(nice);
                } catch (java.io.IOException ended) {
                    // the thread ended while it was read
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }
}
