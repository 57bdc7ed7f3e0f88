package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.Outcome;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code tollgate report} and {@code tollgate export focus}, on the ledger file and through a gateway holding it. */
class ReportCommandTest {

    @TempDir
    Path dir;

    static final List<LedgerEntry> ROWS = List.of(
            row("req-1", "2026-11-20T10:15:00Z", "search", "gpt-4o-mini", 12, 12, "0.000009"),
            row("req-2", "2026-11-20T11:20:00Z", "search", "claude-haiku-4-5", 7, 8, "0.000047"),
            row("req-3", "2026-11-21T09:00:00Z", "ads", "gpt-4o-mini", 1000, 100, "0.5"));

    static LedgerEntry row(String id, String time, String team, String model, long in, long out, String cost) {
        return new LedgerEntry(Instant.parse(time), id, team + "-key", Map.of("team", team, "feature", "f-" + team), "openai.chat",
                "sandbox", model, model, model, new Usage(in, 0, 0, 0, out, 0), new BigDecimal(cost), model + "@v1", 200,
                null, 1000, -1, false, false);
    }

    static void fill(Path dataDir) {
        try (DuckDbLedger ledger = DuckDbLedger.open(dataDir)) {
            ROWS.forEach(ledger::append);
            ledger.flush();
            ledger.recordOutcome(new Outcome(Instant.parse("2026-11-22T00:00:00Z"), "req-1", null, true, null));
            ledger.recordOutcome(new Outcome(Instant.parse("2026-11-22T00:00:00Z"), "req-3", null, false, null));
        }
    }

    record Run(int exit, String out, String err) {
    }

    static Run run(Map<String, String> env, String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        CommandLine.ParseResult parsed = cli.parseArgs(args);
        Object command = parsed.subcommand().subcommand() != null
                ? parsed.subcommand().subcommand().commandSpec().userObject() : parsed.subcommand().commandSpec().userObject();
        if (command instanceof ReportCommand r) r.ledger.gateway.env = env::get;
        if (command instanceof ExportCommand.Focus f) f.ledger.gateway.env = env::get;
        int exit = cli.getExecutionStrategy().execute(parsed);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void csvTableAndJsonFromTheLedgerFile() throws Exception {
        fill(dir);
        Run csv = run(Map.of(), "report", "--data", dir.toString(), "--by", "team", "--format", "csv");
        assertThat(csv.exit()).as(csv.err()).isZero();
        assertThat(csv.out()).isEqualTo("""
                team,requests,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,reasoning_tokens,cost_usd
                ads,1,1000,0,0,100,0,0.5
                search,2,19,0,0,20,0,0.000056
                """);

        Run table = run(Map.of(), "report", "--data", dir.toString(), "--by", "model", "--bucket", "day", "-f", "team=search");
        assertThat(table.exit()).as(table.err()).isZero();
        assertThat(table.out()).isEqualTo("""
                day         model             requests  input_tokens  output_tokens  cost_usd
                ----------  ----------------  --------  ------------  -------------  --------
                2026-11-20  claude-haiku-4-5         1             7              8  0.000047
                2026-11-20  gpt-4o-mini              1            12             12  0.000009
                ----------  ----------------  --------  ------------  -------------  --------
                TOTAL                                2            19             20  0.000056
                """);

        Run json = run(Map.of(), "report", "--data", dir.toString(), "--from", "2026-11-21", "--format", "json");
        JsonNode body = Json.parse(json.out());
        assertThat(body.path("total").path("requests").asLong()).isEqualTo(1);
        assertThat(body.path("total").path("cost_usd").decimalValue()).isEqualByComparingTo("0.5");

        Run outcomes = run(Map.of(), "report", "--data", dir.toString(), "--outcomes", "--by", "team", "--format", "csv");
        assertThat(outcomes.out()).isEqualTo("""
                team,requests,cost_usd,outcomes,successes,success_rate,cost_per_success_usd,value_usd
                ads,1,0.5,1,0,0.0,,0
                search,1,0.000009,1,1,1.0,0.000009,0
                """);

        Run bad = run(Map.of(), "report", "--data", dir.toString(), "--bucket", "year");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("bucket must be one of hour, day, week, month");
        Run none = run(Map.of(), "report", "--data", dir.resolve("nowhere").toString());
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("no ledger at");
    }

    @Test
    void whileAGatewayHoldsTheFileTheGatewayIsAsked() throws Exception {
        Path held = dir.resolve("held");
        Path served = dir.resolve("served");
        fill(held);
        fill(served);
        Vertx vertx = Vertx.vertx();
        DuckDbLedger ledger = DuckDbLedger.open(served);
        Process holder = null;
        try {
            Gateway gateway = Gateway.start(vertx, GatewayServices.of(new ConfigLoader(Map.<String, String>of()::get)
                    .parse("admin:\n  token: s3cret\n"), PriceCatalog.bundled(), ledger), 0, 1).await();
            GatewayLink.announce(held, gateway.baseUrl(), null); // as serve does, here without the token
            holder = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
                    held.resolve(DuckDbLedger.FILE_NAME).toString()).redirectErrorStream(true).start();
            assertThat(new BufferedReader(new InputStreamReader(holder.getInputStream())).readLine()).isEqualTo("locked");

            Run local = run(Map.of(), "report", "--data", served.toString(), "--by", "team", "--format", "csv", "--url", gateway.baseUrl(),
                    "--admin-token", "s3cret");
            Run remote = run(Map.of("TOLLGATE_ADMIN_TOKEN", "s3cret"), "report", "--data", held.toString(), "--by", "team", "--format", "csv");
            assertThat(remote.exit()).as(remote.err()).isZero();
            assertThat(remote.out()).isEqualTo(local.out()).contains("search,2,19,0,0,20,0,0.000056");

            Run noToken = run(Map.of(), "report", "--data", held.toString());
            assertThat(noToken.exit()).isEqualTo(1);
            assertThat(noToken.err()).contains("is in use by the gateway at " + gateway.baseUrl())
                    .contains("--admin-token").doesNotContain("Conflicting lock");
            Run wrongToken = run(Map.of("TOLLGATE_ADMIN_TOKEN", "nope"), "report", "--data", held.toString());
            assertThat(wrongToken.err()).contains("answered 401");

            GatewayLink.announce(held, gateway.baseUrl(), "s3cret"); // serve leaves its token for the CLI on the same machine
            Run tokenFromTheFile = run(Map.of(), "report", "--data", held.toString(), "--by", "team", "--format", "csv");
            assertThat(tokenFromTheFile.out()).isEqualTo(local.out());

            Path csv = dir.resolve("focus.csv");
            Run export = run(Map.of("TOLLGATE_ADMIN_TOKEN", "s3cret"), "export", "focus", "--data", held.toString(), "--out", csv.toString());
            assertThat(export.exit()).as(export.err()).isZero();
            assertThat(export.out()).contains("from the gateway at");
            List<String> lines = Files.readAllLines(csv);
            assertThat(lines.getFirst()).startsWith("BilledCost,BillingAccountId,");
            BigDecimal billed = BigDecimal.ZERO;
            for (String line : lines.subList(1, lines.size())) billed = billed.add(new BigDecimal(line.split(",")[0]));
            assertThat(billed).isEqualByComparingTo("0.500056");

            Path parquet = dir.resolve("focus.parquet");
            Run localExport = run(Map.of(), "export", "focus", "--data", dir.resolve("other").toString(), "--out", parquet.toString());
            assertThat(localExport.err()).contains("no ledger at");
            fill(dir.resolve("other"));
            localExport = run(Map.of(), "export", "focus", "--data", dir.resolve("other").toString(), "--since", "2026-11-21", "--out", parquet.toString());
            assertThat(localExport.exit()).as(localExport.err()).isZero();
            assertThat(localExport.out()).isEqualTo("wrote 1 FOCUS charge rows to " + parquet + "\n");
            assertThat(new String(Files.readAllBytes(parquet), 0, 4)).isEqualTo("PAR1");
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

}
