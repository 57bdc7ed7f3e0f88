package dev.tollgate.app;

import dev.tollgate.app.eval.EvalCommand;
import dev.tollgate.app.plan.PlanCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.TypeConversionException;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;

/** The {@code tollgate} command line. */
@Command(name = "tollgate", mixinStandardHelpOptions = true, version = "tollgate 0.1.0",
        description = "AI cost control plane: a metered OpenAI- and Anthropic-compatible gateway.",
        subcommands = {ServeCommand.class, SandboxCommand.class, ConfigCommand.class, PricesCommand.class, KeysCommand.class,
                TokensCommand.class, AuditCommand.class, BudgetsCommand.class, PlanCommand.class, ReportCommand.class,
                ExportCommand.class, EvalCommand.class, LedgerCommand.class, RouteCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    // read by Failures from the command line; declared so that every command accepts it
    @Option(names = Failures.VERBOSE, scope = ScopeType.INHERIT, description = "On failure, also print the stack trace (for bug reports).")
    boolean verbose;

    static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    /** Where commands read environment variables: the process's, or a shell's that a test runs commands for in-process. */
    static volatile java.util.function.Function<String, String> environment = System::getenv;

    public static void main(String[] args) {
        String level = logLevel(args);
        if (level != null && System.getProperty(LOG_LEVEL) == null) System.setProperty(LOG_LEVEL, level);
        System.exit(commandLine(args.length > 0 && args[0].equals("serve") ? new ServeOnly() : new Main()).execute(args));
    }

    /**
     * The command line for {@code tollgate serve …}: the same root with serve alone under it. picocli reads every
     * subcommand's annotations when it is built (about half of the command-line stage of serve's start-up with all
     * fifteen), and serve's first answer waits for it; what serve accepts and prints is the same.
     */
    @Command(name = "tollgate", mixinStandardHelpOptions = true, version = "tollgate 0.1.0", subcommands = ServeCommand.class)
    static final class ServeOnly {
        @Option(names = Failures.VERBOSE, scope = ScopeType.INHERIT, description = "On failure, also print the stack trace (for bug reports).")
        boolean verbose;
    }

    /**
     * serve and sandbox log what they do (INFO); every other command prints its answer and logs only warnings and errors
     * (to stderr), so that "ledger opened at …" never mixes with a report. Null: keep simplelogger.properties' level.
     */
    static String logLevel(String[] args) {
        String command = java.util.Arrays.stream(args).filter(a -> !a.startsWith("-")).findFirst().orElse("");
        return command.equals("serve") || command.equals("sandbox") ? null : "warn";
    }

    static CommandLine commandLine() {
        return commandLine(new Main());
    }

    static CommandLine commandLine(Object root) {
        Failures failures = new Failures();
        return new CommandLine(root).setCaseInsensitiveEnumValuesAllowed(true)
                .registerConverter(LocalDate.class, Main::date)
                .setExecutionExceptionHandler(failures).setParameterExceptionHandler(failures);
    }

    static LocalDate date(String text) {
        try {
            return LocalDate.parse(text.trim());
        } catch (DateTimeParseException e) {
            throw new TypeConversionException("'" + text + "' is not a date; write it as YYYY-MM-DD, e.g. 2026-01-31");
        }
    }
}
