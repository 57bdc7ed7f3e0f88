package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** {@code tollgate eval} run in the test's JVM, as the eval tests call it: its exit status and what it printed. */
final class EvalCli {

    private EvalCli() {
    }

    record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return Json.parse(out);
        }
    }

    static Run run(List<String> args) {
        return run(new EvalCommand(), args);
    }

    static Run run(EvalCommand command, List<String> args) {
        CommandLine cli = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }
}
