import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checks of bench/replicas.sh, one phase per call (the script starts, kills and restarts the processes between
 * phases). Every expected figure comes from outside the gateway: prices from the catalog file, token counts from the
 * sandbox provider asked directly, ledger rows from PostgreSQL through JDBC, provider calls from nginx's access log.
 * Run by the script as: java -cp 'app/target/lib/*' bench/ReplicasCheck.java PHASE … (environment below).
 */
public class ReplicasCheck {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final String PROMPT = "How many replicas does it take to keep one budget? Answer briefly.";
    static final int MAX_TOKENS = 16; // = the sandbox's --output-tokens, so a reservation's worst case is the real cost

    static final Map<String, String> ENV = System.getenv();
    static final String LB = "http://127.0.0.1:" + ENV.get("LB_PORT");
    static final String SANDBOX = "http://127.0.0.1:" + ENV.get("SANDBOX_PORT");
    static final List<String> REPLICAS = List.of(ENV.getOrDefault("REPLICA_PORTS", "").split(" ")).stream()
            .map(p -> "http://127.0.0.1:" + p).toList();
    static final String ADMIN = ENV.get("ADMIN_TOKEN");
    static final String SCHEMA = ENV.get("PG_SCHEMA");
    static final Path OUT = Path.of(ENV.getOrDefault("OUT", "."));
    static int failures = 0;

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "budget" -> budget();
            case "crash" -> crash(Long.parseLong(args[1]));
            case "once" -> once();
            case "lease" -> lease();
            case "agree" -> agree(Path.of(args[1]));
            case "propagate" -> propagate();
            case "coalesce" -> coalesce();
            case "drop" -> { try (Connection c = pg()) { c.createStatement().execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE"); } }
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.exit(failures == 0 ? 0 : 1);
    }

    static void check(boolean ok, String what) {
        System.out.println((ok ? "PASS " : "FAIL ") + what);
        if (!ok) failures++;
    }

    static void info(String what) {
        System.out.println("     " + what);
    }

    // ---- (a) 600 concurrent requests against a budget that affords 30

    static void budget() throws Exception {
        BigDecimal cost = oneRequestCost();
        BigDecimal limit = cost.multiply(BigDecimal.valueOf(30)).add(cost.divide(BigDecimal.TWO, 12, RoundingMode.DOWN));
        int affordable = limit.divide(cost, 0, RoundingMode.DOWN).intValueExact();
        info("one request costs " + cost.toPlainString() + " USD (catalog price x the sandbox's token counts); budget "
                + limit.toPlainString() + " USD affords " + affordable);
        admin("POST", LB + "/admin/budgets", "{\"name\":\"team-a\",\"scope\":\"team:a\",\"period\":\"monthly\",\"limit_usd\":\"" + limit.toPlainString() + "\"}", 201);
        waitForBudgetEverywhere("team-a");
        long providerBefore = providerCalls();
        Results r = load("tg-a", 600, 600, null);
        long providerCalls = providerCalls() - providerBefore;
        BigDecimal spent = ledgerSum("a");
        info("600 concurrent through nginx: " + r.status + "; provider calls " + providerCalls);
        check(spent.compareTo(limit) <= 0, "(a) ledger spend of team a " + spent.toPlainString() + " <= budget " + limit.toPlainString());
        check(r.ok() <= affordable, "(a) answered " + r.ok() + " <= affordable " + affordable
                + (r.ok() == affordable ? " (exactly the affordable count)" : ""));
        check(providerCalls == r.ok(), "(a) provider reached " + providerCalls + " times = answers " + r.ok() + " (refused requests cost nothing)");
    }

    /** The cost of one test request from the catalog's gpt-4o-mini prices and the sandbox's own token counts. */
    static BigDecimal oneRequestCost() throws Exception {
        JsonNode usage = JSON.readTree(post(SANDBOX + "/v1/chat/completions", "sk-sandbox", chatBody()).body()).path("usage");
        long in = usage.path("prompt_tokens").asLong(), out = usage.path("completion_tokens").asLong();
        BigDecimal[] perMillion = catalogPrice("gpt-4o-mini");
        return perMillion[0].multiply(BigDecimal.valueOf(in)).add(perMillion[1].multiply(BigDecimal.valueOf(out)))
                .divide(BigDecimal.valueOf(1_000_000));
    }

    /** Input and output USD per million tokens of a model's newest OpenAI price in the catalog file. */
    static BigDecimal[] catalogPrice(String model) throws Exception {
        String yaml = Files.readString(Path.of("core/src/main/resources/dev/tollgate/core/pricing/prices.yaml"));
        int at = yaml.indexOf("- model: " + model + "\n    provider: openai");
        String entry = yaml.substring(at, yaml.indexOf("  - model:", at + 10));
        Matcher in = Pattern.compile("\n +input: \"([0-9.]+)\"").matcher(entry), out = Pattern.compile("\n +output: \"([0-9.]+)\"").matcher(entry);
        BigDecimal input = null, output = null;
        while (in.find()) input = new BigDecimal(in.group(1)); // the last listed price is the newest
        while (out.find()) output = new BigDecimal(out.group(1));
        return new BigDecimal[] {input, output};
    }

    // ---- (b) kill -9 of one replica mid-load

    static void crash(long victimPid) throws Exception {
        admin("POST", LB + "/admin/budgets", "{\"name\":\"team-b\",\"scope\":\"team:b\",\"period\":\"monthly\",\"limit_usd\":\"1000\"}", 201);
        waitForBudgetEverywhere("team-b");
        int total = Integer.parseInt(ENV.getOrDefault("CRASH_REQUESTS", "900"));
        Results r = load("tg-b", total, 48, done -> {
            if (done == total / 3) {
                ProcessHandle.of(victimPid).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL
                info("kill -9 " + victimPid + " after " + done + " of " + total + " answers");
            }
        }, chatBody("slow-mini"));
        Files.write(OUT.resolve("answered-ids.txt"), r.ids);
        info(total + " requests, 48 at a time, through nginx: " + r.status + "; " + r.ids.size() + " answers carry an x-tollgate-request-id");
        BigDecimal reserved = budgetField(REPLICAS.get(0), "team-b", "reserved_usd");
        info("team-b reserved right after the load (the dead replica's holds): " + reserved.toPlainString() + " USD");
        Files.writeString(OUT.resolve("reserved-after-kill.txt"), reserved.toPlainString());
        check(r.ok() > 0 && r.status.keySet().stream().allMatch(s -> s == 200 || s == 502 || s == 504),
                "(b) answers were 200, or 502/504 from nginx for calls cut by the kill: " + r.status);
    }

    static void once() throws Exception {
        List<String> ids = Files.readAllLines(OUT.resolve("answered-ids.txt"));
        Map<String, Integer> rows = new HashMap<>();
        long deadline = System.currentTimeMillis() + 30_000;
        int missing;
        do { // the restarted replica replays its journal; survivors flush within ~100 ms
            rows.clear();
            try (Connection c = pg(); PreparedStatement s = c.prepareStatement(
                    "SELECT request_id, count(*) FROM " + SCHEMA + ".requests WHERE request_id = ANY (?) GROUP BY request_id")) {
                s.setArray(1, c.createArrayOf("text", ids.toArray()));
                try (ResultSet rs = s.executeQuery()) { while (rs.next()) rows.put(rs.getString(1), rs.getInt(2)); }
            }
            missing = (int) ids.stream().filter(id -> !rows.containsKey(id)).count();
            if (missing > 0) Thread.sleep(500);
        } while (missing > 0 && System.currentTimeMillis() < deadline);
        long twice = rows.values().stream().filter(n -> n > 1).count();
        long teamB200 = scalar("SELECT count(*) FROM " + SCHEMA + ".requests WHERE tags->>'team' = 'b' AND status = 200").longValue();
        check(missing == 0 && twice == 0, "(b) every answered request in the ledger exactly once: " + ids.size()
                + " answered ids, " + missing + " missing, " + twice + " more than once");
        info("ledger rows of team b with status 200: " + teamB200 + " (beyond the answered ids: calls the kill cut after the gateway metered them)");
    }

    static void lease() throws Exception {
        BigDecimal before = new BigDecimal(Files.readString(OUT.resolve("reserved-after-kill.txt")).trim());
        // the next reservation on the budget finds the dead replica's lease run out and gives its holds back
        int status = post(LB + "/v1/chat/completions", "tg-b", chatBody("slow-mini")).statusCode();
        BigDecimal after = budgetField(REPLICAS.get(0), "team-b", "reserved_usd");
        check(after.signum() == 0, "(b) after the lease, team-b reserved went from " + before.toPlainString() + " to "
                + after.toPlainString() + " USD (one more request: " + status + ")");
        BigDecimal counter = budgetField(REPLICAS.get(0), "team-b", "spent_usd");
        BigDecimal ledger = ledgerSum("b");
        info("team-b spent in Redis " + counter.toPlainString() + " USD, ledger " + ledger.toPlainString() + " USD");
    }

    // ---- (c) every replica, and the CLI on PostgreSQL, report the same spend

    static void agree(Path cliReport) throws Exception {
        List<String> bodies = new ArrayList<>();
        for (String replica : REPLICAS)
            bodies.add(admin("GET", replica + "/admin/spend?group_by=team,model,status", null, 200));
        List<String> totals = bodies.stream().map(b -> readTree(b).path("total").path("cost_usd").asText()).toList();
        info("/admin/spend total cost_usd per replica: " + totals);
        check(bodies.stream().distinct().count() == 1, "(c) /admin/spend?group_by=team,model,status identical from all "
                + REPLICAS.size() + " replicas (" + bodies.get(0).length() + " bytes)");
        BigDecimal ledger = scalar("SELECT coalesce(sum(cost_usd), 0) FROM " + SCHEMA + ".requests");
        check(new BigDecimal(totals.get(0)).compareTo(ledger) == 0, "(c) that total " + totals.get(0)
                + " = sum(cost_usd) in PostgreSQL " + ledger.toPlainString());
        JsonNode cli = readTree(Files.readString(cliReport));
        String cliTotal = cli.path("total").path("cost_usd").asText();
        check(!cliTotal.isEmpty() && new BigDecimal(cliTotal).compareTo(ledger) == 0,
                "(c) tollgate report --ledger total " + cliTotal + " = the same");
    }

    // ---- (d) a budget created through one replica refuses a request on another within a second

    static void propagate() throws Exception {
        String other = REPLICAS.get(1);
        int first = post(other + "/v1/chat/completions", "tg-d", chatBody()).statusCode();
        check(first == 200, "(d) before the budget, team d is served on replica 2: " + first);
        long start = System.nanoTime();
        admin("POST", REPLICAS.get(0) + "/admin/budgets", "{\"name\":\"team-d\",\"scope\":\"team:d\",\"period\":\"monthly\",\"limit_usd\":\"0.000000000001\"}", 201);
        long created = System.nanoTime();
        int status;
        do {
            status = post(other + "/v1/chat/completions", "tg-d", chatBody()).statusCode();
        } while (status == 200 && System.nanoTime() - created < 5_000_000_000L);
        long ms = (System.nanoTime() - created) / 1_000_000;
        check(status == 429 && ms < 1000, "(d) budget created on replica 1 refused a request on replica 2 after " + ms
                + " ms (status " + status + "; create call took " + (created - start) / 1_000_000 + " ms)");
    }

    // ---- (e) 100 identical concurrent requests over three replicas reach the provider once (needs cache.redis)

    static void coalesce() throws Exception {
        long before = providerCalls();
        String body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"coalesce " + System.nanoTime() + "\"}]}";
        Results r = load("tg-e", 100, 100, null, body);
        long calls = providerCalls() - before;
        check(r.ok() == 100 && calls == 1, "(e) 100 identical concurrent requests: " + r.status + ", provider reached " + calls + " time(s)");
    }

    // ---- helpers

    record Results(Map<Integer, Integer> status, List<String> ids) {
        int ok() { return status.getOrDefault(200, 0); }
    }

    interface Progress { void answered(int done); }

    static Results load(String key, int total, int concurrency, Progress progress) throws Exception {
        return load(key, total, concurrency, progress, chatBody());
    }

    static Results load(String key, int total, int concurrency, Progress progress, String body) throws Exception {
        Map<Integer, Integer> status = new ConcurrentHashMap<>();
        Set<String> ids = ConcurrentHashMap.newKeySet();
        Semaphore slots = new Semaphore(concurrency);
        AtomicInteger done = new AtomicInteger();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            slots.acquire();
            all.add(client.sendAsync(chatRequest(LB + "/v1/chat/completions", key, body), HttpResponse.BodyHandlers.ofString())
                    .handle((resp, err) -> {
                        int s = err != null ? -1 : resp.statusCode();
                        status.merge(s, 1, Integer::sum);
                        if (s == 200) resp.headers().firstValue("x-tollgate-request-id").ifPresent(ids::add);
                        slots.release();
                        int n = done.incrementAndGet();
                        if (progress != null) progress.answered(n);
                        return null;
                    }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        return new Results(new java.util.TreeMap<>(status), new ArrayList<>(ids));
    }

    static String chatBody() {
        return chatBody("gpt-4o-mini");
    }

    /** slow-mini: gpt-4o-mini on a sandbox that waits 200 ms, so that a replica killed mid-load holds reservations. */
    static String chatBody(String model) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":" + MAX_TOKENS + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}";
    }

    static HttpRequest chatRequest(String url, String key, String body) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    static HttpResponse<String> post(String url, String key, String body) throws Exception {
        return HTTP.send(chatRequest(url, key, body), HttpResponse.BodyHandlers.ofString());
    }

    static String admin(String method, String url, String body, int expected) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("authorization", "Bearer " + ADMIN).header("content-type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) throw new IllegalStateException(method + " " + url + " -> " + r.statusCode() + " " + r.body());
        return r.body();
    }

    static void waitForBudgetEverywhere(String name) throws Exception {
        for (String replica : REPLICAS) {
            long deadline = System.currentTimeMillis() + 5000;
            while (!admin("GET", replica + "/admin/budgets", null, 200).contains("\"" + name + "\"")) {
                if (System.currentTimeMillis() > deadline) throw new IllegalStateException(name + " never reached " + replica);
                Thread.sleep(20);
            }
        }
    }

    static BigDecimal budgetField(String replica, String name, String field) throws Exception {
        for (JsonNode b : readTree(admin("GET", replica + "/admin/budgets", null, 200)).path("budgets"))
            if (b.path("name").asText().equals(name)) return new BigDecimal(b.path(field).asText());
        throw new IllegalStateException("no budget " + name);
    }

    static JsonNode readTree(String s) {
        try { return JSON.readTree(s); } catch (Exception e) { throw new IllegalStateException(s, e); }
    }

    static Connection pg() throws Exception {
        return DriverManager.getConnection(ENV.getOrDefault("PG_JDBC", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres"));
    }

    static BigDecimal scalar(String sql) throws Exception {
        try (Connection c = pg(); ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getBigDecimal(1);
        }
    }

    /** Ledger spend of a team, after the gateways' writers caught up (they write within ~100 ms). */
    static BigDecimal ledgerSum(String team) throws Exception {
        BigDecimal last = null;
        for (int i = 0; i < 40; i++) {
            BigDecimal now = scalar("SELECT coalesce(sum(cost_usd), 0) FROM " + SCHEMA + ".requests WHERE tags->>'team' = '" + team + "'");
            if (now.equals(last)) return now;
            last = now;
            Thread.sleep(300);
        }
        return last;
    }

    /** Calls that reached the sandbox provider: lines of the access log of the nginx server in front of it. */
    static long providerCalls() throws Exception {
        Thread.sleep(200); // nginx writes its log line when the response ends
        try (var lines = Files.lines(Path.of(ENV.get("PROVIDER_LOG")))) {
            return lines.filter(l -> l.contains("/v1/chat/completions")).count();
        }
    }
}
