package dev.tollgate.app;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** One CLI: every command's help reads the same way, and the gateway is found the same way everywhere. */
class CliHelpTest {

    /** Every command and subcommand, depth first. */
    static List<CommandLine> all(CommandLine cli) {
        List<CommandLine> out = new ArrayList<>(List.of(cli));
        for (CommandLine sub : cli.getSubcommands().values()) {
            if (sub.getCommandSpec().parent() == cli.getCommandSpec()) out.addAll(all(sub));
        }
        return out;
    }

    @Test
    void serveParsedOnItsOwnAcceptsAndPrintsWhatServeUnderTheFullCommandLineDoes() {
        CommandLine full = Main.commandLine().getSubcommands().get("serve");
        CommandLine alone = Main.commandLine(new Main.ServeOnly()).getSubcommands().get("serve");
        assertThat(alone.getUsageMessage()).isEqualTo(full.getUsageMessage());
        assertThat(alone.getCommandSpec().qualifiedName()).isEqualTo("tollgate serve");
        assertThat(alone.getCommandSpec().options()).extracting(OptionSpec::longestName)
                .containsExactlyInAnyOrderElementsOf(full.getCommandSpec().options().stream().map(OptionSpec::longestName).toList());

        for (String[] mistake : List.of(new String[]{"serve", "--port", "not-a-port"}, new String[]{"serve", "--prot", "4000"})) {
            assertThat(errorOf(Main.commandLine(new Main.ServeOnly()), mistake)).startsWith("tollgate serve: ")
                    .isEqualTo(errorOf(Main.commandLine(), mistake));
        }
    }

    private static String errorOf(CommandLine cli, String... args) {
        java.io.StringWriter err = new java.io.StringWriter();
        cli.setErr(new java.io.PrintWriter(err));
        assertThat(cli.execute(args)).isEqualTo(2);
        return err.toString();
    }

    @Test
    void everyCommandThatTalksToAGatewayTakesTheSameUrlAndAdminToken() {
        Set<String> expected = Set.of("tollgate report", "tollgate export focus", "tollgate audit", "tollgate budgets list",
                "tollgate budgets create", "tollgate budgets set", "tollgate budgets delete", "tollgate budgets alerts", "tollgate eval",
                "tollgate plan forecast", "tollgate plan whatif", "tollgate plan capacity", "tollgate route train",
                "tollgate keys add", "tollgate keys list", "tollgate keys revoke");
        OptionSpec url = Main.commandLine().getSubcommands().get("report").getCommandSpec().findOption("--url");
        OptionSpec token = Main.commandLine().getSubcommands().get("report").getCommandSpec().findOption("--admin-token");
        assertThat(url.description()[0]).isEqualTo(
                "The gateway to ask (default: $TOLLGATE_URL, else the URL serve noted in DATA/gateway.json, else http://localhost:4000).");
        assertThat(token.description()[0]).contains("$TOLLGATE_ADMIN_TOKEN", "DATA/gateway.json");
        List<String> withUrl = new ArrayList<>();
        for (CommandLine c : all(Main.commandLine())) {
            OptionSpec u = c.getCommandSpec().findOption("--url");
            OptionSpec t = c.getCommandSpec().findOption("--admin-token");
            if (u == null && t == null) continue;
            withUrl.add(c.getCommandSpec().qualifiedName());
            assertThat(u.description()).as(c.getCommandSpec().qualifiedName()).isEqualTo(url.description());
            assertThat(t.description()).as(c.getCommandSpec().qualifiedName()).isEqualTo(token.description());
            assertThat(c.getCommandSpec().findOption("--gateway")).as("only plan keeps --gateway").matches(
                    g -> g == null || c.getCommandSpec().qualifiedName().startsWith("tollgate plan ") && g.hidden());
        }
        assertThat(withUrl).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void helpNamesWhatToWriteNeverAJavaType() {
        for (CommandLine c : all(Main.commandLine())) {
            String help = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
            String name = c.getCommandSpec().qualifiedName();
            assertThat(help).as(name).doesNotContainPattern("<(String|Integer|Long|Double|BigDecimal|Path|Boolean|Duration|Map|List)\\b");
            for (ArgSpec positional : c.getCommandSpec().positionalParameters()) {
                assertThat(String.join("", positional.description())).as(name + " " + positional.paramLabel()).isNotBlank();
            }
            for (OptionSpec option : c.getCommandSpec().options()) {
                if (option.required()) {
                    assertThat(String.join("", option.description())).as(name + " " + option.longestName()).contains("(required)");
                    int first = help.indexOf(option.longestName() + "=");
                    assertThat(help.charAt(first - 1)).as(name + " " + option.longestName() + " in the synopsis").isNotEqualTo('[');
                }
            }
        }
        assertThat(Main.commandLine().getSubcommands().get("plan").getSubcommands().get("forecast").getUsageMessage(CommandLine.Help.Ansi.OFF))
                .contains("--budget=SCOPE=USD");
    }

    @Test
    void planAloneIsAMistakeAsTollgateAloneIs() {
        MistakesTest.Run plan = MistakesTest.run("plan");
        assertThat(plan.exit()).isEqualTo(2);
        assertThat(plan.out()).isEmpty();
        assertThat(plan.err()).startsWith("Usage: tollgate plan").contains("whatif", "forecast");
        MistakesTest.Run tollgate = MistakesTest.run();
        assertThat(tollgate.exit()).isEqualTo(2);
    }

    @Test
    void theUrlComesFromTheFlagElseTheEnvironmentElseWhatServeNotedElseLocalhost(@org.junit.jupiter.api.io.TempDir java.nio.file.Path data)
            throws Exception {
        GatewayOptions options = new GatewayOptions();
        options.env = java.util.Map.<String, String>of()::get;
        assertThat(options.link(data)).isEqualTo(new GatewayLink("http://localhost:4000", null));
        GatewayLink.announce(data, "http://127.0.0.1:4100", "noted-token");
        assertThat(options.link(data)).isEqualTo(new GatewayLink("http://127.0.0.1:4100", "noted-token"));
        options.env = java.util.Map.of("TOLLGATE_URL", "http://env:1", "TOLLGATE_ADMIN_TOKEN", "env-token")::get;
        assertThat(options.link(data)).isEqualTo(new GatewayLink("http://env:1", "env-token"));
        new CommandLine(options).parseArgs("--url", "http://flag:2", "--admin-token", "flag-token");
        assertThat(options.link(data)).isEqualTo(new GatewayLink("http://flag:2", "flag-token"));

        GatewayOptions.WithGatewayAlias plan = new GatewayOptions.WithGatewayAlias();
        new CommandLine(plan).parseArgs("--gateway", "http://old:3");
        assertThat(plan.url()).isEqualTo("http://old:3");
    }
}
