package dev.tollgate.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tollgate export}: the ledger in formats other tools read. */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Export the ledger for other tools.",
        subcommands = {ExportCommand.Focus.class})
final class ExportCommand {

    @Command(name = "focus", mixinStandardHelpOptions = true,
            description = {"FOCUS 1.3 cost and usage data (CSV or Parquet): one charge per hour, key, provider, model and tag set.",
                    "Reads the ledger file, or asks the running gateway when it holds the file."})
    static final class Focus implements Callable<Integer> {

        @Mixin
        LedgerOptions ledger = new LedgerOptions();

        @Option(names = "--since", description = "How far back: 30d, 12h, 2w, or a date/instant (default: all time). Whole hours.")
        String since;

        @Option(names = "--from", description = "Start: a date or instant, rounded down to the hour. Instead of --since.")
        String from;

        @Option(names = "--to", description = "End (exclusive): a date or instant, rounded up to the hour.")
        String to;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "The file to write (required).")
        Path out;

        @Option(names = "--format", description = "csv or parquet (default: parquet when --out ends in .parquet, else csv).")
        String format;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            String f = format != null ? format.toLowerCase() : out.toString().endsWith(".parquet") ? "parquet" : "csv";
            if (!f.equals("csv") && !f.equals("parquet")) {
                spec.commandLine().getErr().println("export: --format must be csv or parquet, not '" + format + "'");
                return 2;
            }
            writable(out);
            Map<String, String> range = new LinkedHashMap<>();
            if (since != null) range.put("since", since);
            if (from != null) range.put("from", from);
            if (to != null) range.put("to", to);
            try (LedgerReader reader = LedgerReader.open(ledger)) {
                String wrote;
                try (WorkProgress progress = WorkProgress.elapsed("export focus", "writing " + out, System.err)) {
                    wrote = reader.exportFocus(range, f, out.toAbsolutePath());
                }
                spec.commandLine().getOut().println(wrote);
                spec.commandLine().getOut().flush();
                return 0;
            } catch (LedgerReader.Failure | IllegalArgumentException e) {
                spec.commandLine().getErr().println("export: " + e.getMessage());
                return e instanceof IllegalArgumentException ? 2 : 1;
            } catch (IllegalStateException e) {
                spec.commandLine().getErr().println("export: " + e.getMessage());
                return 1;
            }
        }

        /** Fails before the export runs when {@code --out} cannot be written, naming the flag rather than the ledger. */
        static void writable(Path out) {
            Path dir = out.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) {
                throw new UserError("--out " + out + ": there is no directory " + dir + "; choose a path in an existing directory");
            }
            boolean existed = Files.exists(out);
            try {
                Files.newOutputStream(out, StandardOpenOption.CREATE, StandardOpenOption.APPEND).close();
                if (!existed) Files.delete(out);
            } catch (IOException e) {
                throw new UserError("--out " + out + ": cannot write there (" + Failures.reason(e) + "); choose a writable path", e);
            }
        }
    }
}
