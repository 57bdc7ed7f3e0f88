package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.ConfigSchema;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Function;

/** {@code tollgate config check|schema}: the gateway configuration before {@code serve} reads it. */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Check the gateway configuration.",
        subcommands = {ConfigCommand.Check.class, ConfigCommand.Schema.class})
final class ConfigCommand {

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Validate a gateway configuration as `serve` would, and print it as the gateway runs it:",
                    "environment variables substituted, defaults filled in, secrets shown as ****.",
                    "Every problem is listed, one line each (FILE:LINE:COLUMN: what); the exit status is 2 when there is one."})
    static final class Check implements Callable<Integer> {

        @Parameters(paramLabel = "FILE", defaultValue = "tollgate.yaml", description = "The YAML configuration (default: ${DEFAULT-VALUE}).")
        Path file;

        @Spec
        CommandSpec spec;

        Function<String, String> env = name -> Main.environment.apply(name);

        @Override
        public Integer call() throws Exception {
            ConfigLoader loader = new ConfigLoader(env);
            JsonNode tree;
            try {
                tree = loader.read(file);
                loader.build(tree, file.toString());
            } catch (ConfigLoader.ConfigException e) {
                PrintWriter err = spec.commandLine().getErr();
                e.problems().forEach(err::println);
                err.println(spec.qualifiedName() + ": " + e.problems().size() + " problem" + (e.problems().size() == 1 ? "" : "s")
                        + " in " + file + "; `tollgate serve` would not start");
                err.flush();
                return 2;
            }
            ConfigSchema schema = ConfigSchema.get();
            YAMLMapper yaml = YAMLMapper.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS).build();
            PrintWriter out = spec.commandLine().getOut();
            out.println("# " + file + " is valid. As the gateway runs it (defaults filled in, secrets masked):");
            out.print(yaml.writeValueAsString(schema.masked(schema.withDefaults(tree))));
            out.flush();
            return 0;
        }
    }

    @Command(name = "schema", mixinStandardHelpOptions = true,
            description = {"Print the configuration's JSON Schema: every key, its type, range and default.",
                    "Editors with a YAML language server complete and check tollgate.yaml with it."})
    static final class Schema implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(ConfigSchema.get().text());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
