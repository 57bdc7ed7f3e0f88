package dev.tollgate.app;

import dev.tollgate.app.eval.EvalCommand;
import dev.tollgate.app.plan.PlanCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tollgate} command line. */
@Command(name = "tollgate", mixinStandardHelpOptions = true, version = "tollgate 0.1.0",
        description = "AI cost control plane: a metered OpenAI- and Anthropic-compatible gateway.",
        subcommands = {ServeCommand.class, SandboxCommand.class, PricesCommand.class, KeysCommand.class, TokensCommand.class,
                AuditCommand.class, BudgetsCommand.class, PlanCommand.class, ReportCommand.class, ExportCommand.class,
                EvalCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }
}
