package dev.tollgate.app.plan;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tollgate plan …}: plan before you spend. {@code plan FILE} is short for {@code plan scenario FILE}. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Plan before you spend: scenarios and TCO, build vs buy, capacity purchasing, forecast, what-if replay.",
        subcommands = {PlanScenario.class, PlanGpu.class, PlanCapacity.class, PlanForecast.class, PlanWhatIf.class})
public final class PlanCommand implements Callable<Integer> {

    @Parameters(arity = "0..1", paramLabel = "FILE", description = "A scenario file: same as 'plan scenario FILE'.")
    Path file;

    /** Options meant for 'plan scenario' when the shortcut is used ('plan FILE --format json'). */
    @CommandLine.Unmatched
    List<String> scenarioOptions = new ArrayList<>();

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (file == null) {
            // as 'tollgate' alone does: the usage, on stderr, and the status of a command-line mistake
            spec.commandLine().usage(spec.commandLine().getErr());
            return spec.exitCodeOnInvalidInput();
        }
        List<String> args = new ArrayList<>(List.of(file.toString()));
        args.addAll(scenarioOptions);
        return spec.commandLine().getSubcommands().get("scenario").execute(args.toArray(String[]::new));
    }
}
