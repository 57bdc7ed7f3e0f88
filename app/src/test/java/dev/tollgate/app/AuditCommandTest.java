package dev.tollgate.app;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.PromptRecord;
import dev.tollgate.store.duckdb.DuckDbLedger;
import org.junit.jupiter.api.Test;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tollgate audit}: with no gateway running it reads the ledger file itself; while a gateway holds the file (DuckDB
 * lets one process open it) it asks that gateway, found through the link file serve leaves in the data directory.
 */
class AuditCommandTest {

    @TempDir
    Path data;

    /** Three requests of one template, each with a 2,000-token system prompt ("word " counts 1 token in o200k) and a short question. */
    static void fill(Path dataDir) {
        Instant t0 = Instant.now().minusSeconds(600);
        String system = "Rules: " + "word ".repeat(2000).strip();
        try (DuckDbLedger ledger = DuckDbLedger.open(dataDir)) {
            for (int i = 0; i < 3; i++) {
                String id = "req-" + i;
                ledger.append(new LedgerEntry(t0.plusSeconds(i), id, "k", Map.of("feature", "faq"), "openai.chat", "openai", "gpt-4o",
                        "gpt-4o", "gpt-4o", new Usage(2010, 0, 0, 0, 10, 0), new BigDecimal("0.005125"), "gpt-4o@2024-08-06",
                        200, null, 1000, -1, false, false));
                ledger.prompts().append(new PromptRecord(t0.plusSeconds(i), id, "k", Map.of("feature", "faq"), "openai.chat", "gpt-4o",
                        system, List.of(new PromptRecord.Message("user", "Question " + i)), 100, 2001, 0, 2, 1.0));
            }
        }
    }

    record Run(int exit, String out, String err) {
    }

    static Run audit(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream originalOut = System.out, originalErr = System.err;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = Main.commandLine().execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }

    /** The report of {@link #fill}'s requests, worked out by hand. */
    static void assertTheFaqAudit(String out) {
        // halving 2,001 tokens at gpt-4o's $2.50 per million, three times, × 30 days: 3 × 1000.5 × 2.5e-6 × 30 = $0.2251125
        assertThat(out).contains("Prompt audit of 3 logged requests")
                .contains("big_system_prompt")
                .contains("a 2001-token system prompt carries 2-token questions")
                .contains("≈ $0.2251/month")
                .contains("feature=faq")
                .contains("Question <*>");
        List<String> lines = new ArrayList<>(out.lines().toList());
        assertThat(lines).anyMatch(l -> l.matches("\\s+feature=faq\\s+3\\s+99\\.9%\\s+0\\.0%\\s+0\\.1%"));
    }

    @Test
    void withNoGatewayTheLedgerFileIsAudited() {
        fill(data);
        Run run = audit("audit", "--url", "http://127.0.0.1:1", "--data", data.toString(), "--since", "1d");
        assertThat(run.exit()).as(run.err()).isEqualTo(0);
        assertTheFaqAudit(run.out());
    }

    @Test
    void whileAGatewayHoldsTheFileTheGatewayIsAsked() throws Exception {
        // the gateway serves one copy of the ledger; another process holds the other copy's file, as a running gateway would
        Path held = data.resolve("held"), served = data.resolve("served");
        fill(held);
        fill(served);
        Vertx vertx = Vertx.vertx();
        DuckDbLedger ledger = DuckDbLedger.open(served);
        Process holder = null;
        try {
            Gateway gateway = Gateway.start(vertx, GatewayServices.of(new ConfigLoader(Map.<String, String>of()::get)
                    .parse("admin:\n  token: s3cret\n"), PriceCatalog.bundled(), ledger), 0, 1).await();
            holder = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
                    held.resolve(DuckDbLedger.FILE_NAME).toString()).redirectErrorStream(true).start();
            assertThat(new BufferedReader(new InputStreamReader(holder.getInputStream())).readLine()).isEqualTo("locked");

            // no link file and no --url: the file is locked and there is no one to ask
            Run nobody = audit("audit", "--data", held.toString(), "--since", "1d");
            assertThat(nobody.exit()).isEqualTo(1);
            assertThat(nobody.err()).startsWith("tollgate audit: ");

            GatewayLink.announce(held, gateway.baseUrl(), null); // as serve does, here without the token
            Run noToken = audit("audit", "--data", held.toString(), "--since", "1d");
            assertThat(noToken.exit()).isEqualTo(1);
            assertThat(noToken.err()).contains("no admin token for the gateway at " + gateway.baseUrl()).contains("--admin-token");
            Run wrongToken = audit("audit", "--data", held.toString(), "--since", "1d", "--admin-token", "nope");
            assertThat(wrongToken.exit()).isEqualTo(1);
            assertThat(wrongToken.err()).contains("answered 401");

            Run asked = audit("audit", "--data", held.toString(), "--since", "1d", "--admin-token", "s3cret");
            assertThat(asked.exit()).as(asked.err()).isZero();
            assertTheFaqAudit(asked.out());

            GatewayLink.announce(held, gateway.baseUrl(), "s3cret"); // serve leaves its token for the CLI on the same machine
            Run json = audit("audit", "--data", held.toString(), "--since", "1d", "--format", "json");
            assertThat(json.exit()).as(json.err()).isZero();
            var report = dev.tollgate.gateway.Json.parse(json.out());
            assertThat(report.path("window").path("requests").asLong()).isEqualTo(3);
            assertThat(report.path("findings").get(0).path("monthly_saving_usd").decimalValue()).isEqualByComparingTo(new BigDecimal("0.2251125").setScale(6, java.math.RoundingMode.HALF_EVEN));
            gateway.close();
        } finally {
            if (holder != null) {
                holder.getOutputStream().close();
                holder.waitFor();
            }
            ledger.close();
            vertx.close().await();
        }
    }

    @Test
    void aBadSinceIsAUsageError() {
        assertThat(Main.commandLine().execute("audit", "--since", "soon", "--url", "http://127.0.0.1:1", "--data", data.toString())).isEqualTo(2);
    }
}
