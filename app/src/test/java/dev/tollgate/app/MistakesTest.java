package dev.tollgate.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every mistake a person makes on the command line ends in one line that names the thing, and a non-zero status. */
class MistakesTest {

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
        /** The one line printed on stderr, checked to be one line and free of a stack trace. */
        String line() {
            assertThat(err.lines().count()).as(err).isEqualTo(1);
            assertThat(err).doesNotContain("\tat ", "Exception");
            return err.strip();
        }
    }

    static Run run(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void aConfigRefusedAtStartIsTheOnlyThingServeSays() throws Exception {
        // valid against the schema, refused when the budgets are built: no sandbox line or admin token printed before it
        Path bad = Files.writeString(dir.resolve("downgrade.yaml"), "spend_controls:\n  budgets:\n"
                + "    - {name: b, scope: org, limit_usd: \"1\", action: downgrade, downgrade_to: gpt-9}\n");
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(printed, true));
        Run r;
        try {
            r = run("serve", "--config", bad.toString(), "--port", "0", "--data", dir.resolve("data").toString());
        } finally {
            System.setOut(stdout);
        }
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.line()).startsWith("tollgate serve: " + bad + ": budget 'b': downgrade_to 'gpt-9' is not a configured model");
        assertThat(printed.toString()).isEmpty();
    }

    @Test
    void aMissingConfigFile() {
        Path nope = dir.resolve("nope.yaml");
        Run r = run("serve", "--config", nope.toString(), "--port", "0", "--data", dir.resolve("data").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.line()).isEqualTo("tollgate serve: " + nope + ": no such configuration file (check the path)");
    }

    @Test
    void brokenYamlAndAMisspeltKeyStopServeBeforeAnythingStarts() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.yaml"), "server:\n  max_body_bytes: [1\n");
        Run r = run("serve", "--config", broken.toString(), "--port", "0", "--data", dir.resolve("data").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.line()).startsWith("tollgate serve: " + broken + ":").contains("not valid YAML");

        Path typo = Files.writeString(dir.resolve("typo.yaml"), "spend_controls:\n  budget:\n    - {name: b, scope: org, limit_usd: \"1\"}\n");
        r = run("serve", "--config", typo.toString(), "--port", "0", "--data", dir.resolve("data").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.line()).startsWith("tollgate serve: " + typo + ":2:3: unknown key 'budget' in spend_controls; did you mean 'budgets'?");
        assertThat(r.out()).isEmpty();
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void aDataDirectoryThatIsAFileOrBelowOne() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Run r = run("serve", "--port", "0", "--data", file.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.line()).isEqualTo("tollgate serve: --data " + file + " is a file, not a directory; pass --data with a directory");

        r = run("serve", "--port", "0", "--data", file.resolve("sub").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.line()).startsWith("tollgate serve: --data " + file.resolve("sub") + ": cannot create the data directory (")
                .endsWith("); pass --data with a writable directory");
    }

    @Test
    void aPortInUseIsNamedBeforeAnythingStarts() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(0));
            int port = taken.getLocalPort();
            Run r = run("serve", "--port", String.valueOf(port), "--data", dir.resolve("data").toString());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.line()).isEqualTo("tollgate serve: cannot listen on port " + port
                    + ": another process already does (a `tollgate serve` or `sandbox` still running?); pass --port with a free port");
            assertThat(r.out()).doesNotContain("sandbox");
        }
    }

    @Test
    void pricesImportOfAMissingFileInvalidJsonOrAnArray() throws Exception {
        String data = dir.resolve("data").toString();
        Run r = run("prices", "import", dir.resolve("missing.json").toString(), "--data", data);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.line()).isEqualTo("tollgate prices import: " + dir.resolve("missing.json") + ": no such file or directory (check the path)");

        Path invalid = Files.writeString(dir.resolve("invalid.json"), "{\"gpt-x\": {\"input_cost_per_token\": }");
        r = run("prices", "import", invalid.toString(), "--data", data);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.line()).startsWith("tollgate prices import: " + invalid + ":1:").contains("not valid JSON");

        Path array = Files.writeString(dir.resolve("array.json"), "[1, 2]");
        r = run("prices", "import", array.toString(), "--data", data);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.line()).isEqualTo("tollgate prices import: " + array + ": a LiteLLM price file is a JSON object keyed by model name"
                + " (import LiteLLM's model_prices_and_context_window.json)");
    }

    @Test
    void aDateThatIsNotOne() throws Exception {
        Path prices = Files.writeString(dir.resolve("prices.json"), "{}");
        Run r = run("prices", "import", prices.toString(), "--effective", "notadate", "--data", dir.resolve("data").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.line()).isEqualTo("tollgate prices import: Invalid value for option '--effective': 'notadate' is not a date;"
                + " write it as YYYY-MM-DD, e.g. 2026-01-31 (see 'tollgate prices import --help')");
    }

    @Test
    void anExportToAPlaceThatCannotBeWrittenNamesOut() {
        ReportCommandTest.fill(dir);
        Path out = dir.resolve("no-such-dir").resolve("x.csv");
        Run r = run("export", "focus", "--data", dir.toString(), "--out", out.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.line()).isEqualTo("tollgate export focus: --out " + out + ": there is no directory " + out.getParent()
                + "; choose a path in an existing directory");
        assertThat(r.line()).doesNotContain("gateway");
    }

    @Test
    void anUnknownOptionOrCommandIsOneLine() {
        Run r = run("serve", "--prot", "4000");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.line()).isEqualTo("tollgate serve: Unknown options: '--prot', '4000' (see 'tollgate serve --help')");
        r = run("serv");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.line()).startsWith("tollgate: Unmatched argument at index 0: 'serv'; did you mean serve").endsWith("(see 'tollgate --help')");
    }

    @Test
    void verboseAddsTheTraceForABugReport() {
        Run r = run("serve", "--verbose", "--config", dir.resolve("nope.yaml").toString(), "--port", "0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("ConfigException", "\tat ").endsWith("nope.yaml: no such configuration file (check the path)" + System.lineSeparator());
    }

    @Test
    void configCheckListsEveryProblemAndPrintsAValidConfigWithSecretsMasked() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "server: {max_body_bytes: lots}\nprovders: {}\n");
        Run r = run("config", "check", bad.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().lines()).containsExactly(
                bad + ":1:10: server.max_body_bytes must be a whole number above 0, not \"lots\"",
                bad + ":2:1: unknown key 'provders' at the top level; did you mean 'providers'? (known: server, admin, providers, models, routes, tiers, ledger,"
                        + " keys, prices, metrics, telemetry, prompt_log, cache, spend_controls)",
                "tollgate config check: 2 problems in " + bad + "; `tollgate serve` would not start");

        Path good = Files.writeString(dir.resolve("good.yaml"), """
                admin: {token: admin-secret}
                providers:
                  openai: {type: openai, api_key: "${OPENAI_KEY}"}
                models:
                  - {name: gpt-4o-mini, provider: openai}
                spend_controls:
                  budgets:
                    - {name: b, scope: org, limit_usd: "10"}
                """);
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.getSubcommands().get("config").getSubcommands().get("check").<ConfigCommand.Check>getCommand().env =
                Map.of("OPENAI_KEY", "sk-live-123")::get;
        assertThat(cli.execute("config", "check", good.toString())).isZero();
        assertThat(out.toString()).startsWith("# " + good + " is valid.")
                .doesNotContain("admin-secret", "sk-live-123")
                .contains("token: '****'", "api_key: '****'", "period: monthly", "ttl: 1h", "max_body_bytes: 10485760");
    }
}
