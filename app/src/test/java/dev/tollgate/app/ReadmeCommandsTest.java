package dev.tollgate.app;

import dev.tollgate.gateway.http.NetworkTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every command of README.md's console blocks, run as a reader runs them, top to bottom, in one bash, in a directory laid
 * out as a fresh clone (its {@code ./tollgate} starts this build's CLI; {@code examples/} as shipped). A command must exit
 * 0 (or print the error README shows), and print every line README shows under it, by shape: numbers, ids and paths may
 * differ, words and columns may not. {@code serve} and {@code sandbox} run in the background as a reader's second terminal
 * would; a new gateway stops the one before, as README asks. The ports README names (4000, 9000, 4310) are mapped to free
 * ones, so that runs beside other tests never collide. Commands README marks "not run by the README test" are left out,
 * with the reason README gives. What each command printed is written to {@code target/readme-transcript.txt}.
 */
class ReadmeCommandsTest {

    private static final Path README = Path.of("..", "README.md");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(180);
    private static final Pattern SERVER = Pattern.compile("^\\./tollgate (serve|sandbox)\\b");
    /** The JVMs here serve a few calls each: the client compiler alone and the serial collector start them sooner. */
    private static final List<String> QUICK_START = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    private static final Pattern README_PORT = Pattern.compile("(localhost:|127\\.0\\.0\\.1:|--port )(4000|9000|4310)\\b");

    @TempDir
    Path clone;

    private Process bash;
    private Process cli;
    private String cliPort;
    private Writer toBash;
    private final List<Server> servers = new ArrayList<>();
    private final Map<String, String> ports = new LinkedHashMap<>();

    private record Server(String kind, String port, Path dataDir, ProcessHandle process) {}

    @AfterEach
    void stopEverything() throws Exception {
        try {
            for (Server s : List.copyOf(servers)) stop(s);
        } finally {
            if (bash != null) bash.destroyForcibly().waitFor();
            if (cli != null) cli.destroyForcibly().waitFor();
        }
    }

    @Test
    void everyReadmeCommandRunsAsWrittenAndPrintsWhatReadmeShows() throws Exception {
        for (String tool : List.of("bash", "curl", "jq")) {
            if (new ProcessBuilder("bash", "-c", "command -v " + tool).start().waitFor() != 0) {
                String missing = "README's commands need " + tool + " on PATH";
                if ("true".equals(System.getenv("CI"))) throw new IllegalStateException(missing);
                Assumptions.abort("skipped: " + missing);
            }
        }
        List<ReadmeConsole.Command> commands = ReadmeConsole.parse(Files.readAllLines(README));
        assertThat(commands).as("console commands in README.md").hasSizeGreaterThan(40);
        for (String port : List.of("4000", "9000", "4310")) ports.put(port, freePort());
        layOutClone();
        startCli();
        startBash();

        List<String> failures = new ArrayList<>();
        StringBuilder transcript = new StringBuilder();
        ReadmeConsole.Command previous = null;
        int n = 0;
        // -Dreadme.lines=FROM-TO runs only the commands on those README lines (to debug one section)
        String[] lines = System.getProperty("readme.lines", "1-" + Integer.MAX_VALUE).split("-");
        for (ReadmeConsole.Command c : commands) {
            if (c.line() < Integer.parseInt(lines[0]) || c.line() > Integer.parseInt(lines[1])) continue;
            if (c.skipReason() != null) {
                transcript.append("README.md:").append(c.line()).append(": not run (").append(c.skipReason()).append(")\n$ ")
                        .append(c.text()).append("\n\n");
                continue;
            }
            ReadmeConsole.Command run = c;
            if (c.repeatsPrevious() && previous != null) run = new ReadmeConsole.Command(c.line(), previous.text(), c.shown(), null);
            else if (c.text().startsWith("#")) continue;
            previous = run;
            String text = toLocalPorts(run.text());
            long started = System.nanoTime();
            Result result = SERVER.matcher(text).find() ? startServer(++n, text, c.shown()) : runInBash(++n, text);
            long millis = (System.nanoTime() - started) / 1_000_000;
            List<String> actual = asReadmeTransport(fromLocalPorts(result.output())).lines().toList();
            List<String> missing = ReadmeConsole.unmatched(c.shown(), actual);
            transcript.append("README.md:").append(c.line()).append(": exit ").append(result.exit()).append(", ").append(millis).append(" ms\n$ ")
                    .append(run.text()).append('\n').append(fromLocalPorts(result.output())).append('\n');
            boolean failed = result.exit() != 0 && (c.shown().stream().allMatch(String::isBlank) || !missing.isEmpty());
            if (failed || !missing.isEmpty()) {
                failures.add("README.md:" + c.line() + ": $ " + run.text()
                        + (failed ? "\n  exited with " + result.exit() : "")
                        + (missing.isEmpty() ? "" : "\n  README shows lines it did not print (by shape):\n    " + String.join("\n    ", missing))
                        + "\n  it printed:\n    " + String.join("\n    ", actual.size() > 40 ? actual.subList(0, 40) : actual));
            }
        }
        transcript.append("The CLI runner's log:\n").append(read(clone.resolve(".run/cli.log")));
        Files.writeString(Path.of("target", "readme-transcript.txt"), transcript);
        assertThat(failures).as("README commands that failed or printed something else than README shows "
                + "(their whole output: app/target/readme-transcript.txt)").isEmpty();
    }

    private record Result(int exit, String output) {}

    /** The checkout as a reader has it after cloning: examples as shipped (their ports mapped), bench, and ./tollgate. */
    private void layOutClone() throws IOException {
        Path examples = Path.of("..", "examples");
        try (Stream<Path> files = Files.walk(examples)) {
            for (Path f : files.toList()) {
                Path to = clone.resolve("examples").resolve(examples.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(to);
                else if (f.toString().endsWith(".yaml") || f.toString().endsWith(".sh")) Files.writeString(to, toLocalPorts(Files.readString(f)));
                else Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
                if (Files.isExecutable(f)) to.toFile().setExecutable(true);
            }
        }
        Files.createDirectories(clone.resolve(".run"));
        Files.createSymbolicLink(clone.resolve("bench"), Path.of("..", "bench").toAbsolutePath().normalize());
        // the launcher builds the jar and finds a JDK; here the build is this test's class path and JDK. serve and sandbox
        // start as their own processes (serve without --port gets README's 4000, mapped); every other command runs in
        // ReadmeCli's one JVM, in this directory, with the shell's TOLLGATE_* variables (stdin is not passed on)
        Path launcher = clone.resolve("tollgate");
        Files.writeString(launcher, """
                #!/usr/bin/env bash
                set -euo pipefail
                case "${1:-}" in
                  serve|sandbox)
                    args=("$@")
                    if [ "$1" = serve ] && [[ " $* " != *" --port "* ]]; then args+=(--port "$README_PORT_4000"); fi
                    cds=(); [ -z "$README_CDS" ] || cds=("-XX:SharedArchiveFile=$PWD/.run/$1.jsa" $README_CDS)
                    exec "$README_JAVA" $README_JVM_OPTS ${cds[@]+"${cds[@]}"} --enable-native-access=ALL-UNNAMED -cp "$README_SERVER_CLASSPATH" dev.tollgate.app.Main "${args[@]}" ;;
                esac
                out=$(mktemp); err=$(mktemp)
                vars=(); for v in $(compgen -e | grep '^TOLLGATE_' || true); do vars+=("$v=${!v}"); done
                rc=$(printf '%s\\0' "$out" "$err" "${#vars[@]}" "${vars[@]}" "$@" \\
                  | curl -sS --noproxy '*' --data-binary @- "http://127.0.0.1:$README_CLI_PORT/run" || true)
                cat "$out"; cat "$err" >&2; rm -f "$out" "$err"
                [ -n "$rc" ] || echo "README test: the CLI runner did not answer (its log ends the transcript)" >&2
                exit "${rc:-1}"
                """);
        launcher.toFile().setExecutable(true);
    }

    private void startCli() throws Exception {
        Path portFile = clone.resolve(".run/cli-port");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(QUICK_START);
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                ReadmeCli.class.getName(), portFile.toString()));
        cli = new ProcessBuilder(command)
                .directory(clone.toFile()).redirectErrorStream(true).redirectOutput(clone.resolve(".run/cli.log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(portFile)) {
            if (!cli.isAlive() || System.nanoTime() > deadline) throw new IllegalStateException("the CLI runner did not start: " + read(clone.resolve(".run/cli.log")));
            Thread.sleep(20);
        }
        cliPort = Files.readString(portFile).trim();
    }

    private void startBash() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash").directory(clone.toFile()).redirectErrorStream(true)
                .redirectOutput(clone.resolve(".bash.log").toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("TOLLGATE_") || k.equals("JAVA_TOOL_OPTIONS"));
        env.put("README_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        env.put("README_PORT_4000", ports.get("4000"));
        env.put("README_CLI_PORT", cliPort);
        env.put("README_JVM_OPTS", String.join(" ", QUICK_START));
        serverClassPath(env);
        bash = pb.start();
        toBash = new OutputStreamWriter(bash.getOutputStream(), StandardCharsets.UTF_8);
    }

    /**
     * serve and sandbox start nine and six times: as the launcher does, each keeps a class-data archive (written when
     * the first of its kind stops, mapped by the later ones), which takes a good part of their start-up off. The JVM
     * archives classes from jars only, so this module's classes go into one; where the other modules' classes are
     * directories too (a run that stopped before {@code package}), the servers start without an archive. DuckDB's
     * driver is the one the build lays out in target/lib, its library beside it, as {@code ./tollgate} runs it: the
     * driver from Maven's repository copies its 70 MB library into the temp directory at every start (about 0.6 s of
     * CPU each, and a serve that stops at a configuration mistake waits for the copy to finish).
     */
    private void serverClassPath(Map<String, String> env) throws Exception {
        Path classes = Path.of("target", "classes").toAbsolutePath();
        Path jar = clone.resolve(".run/tollgate-classes.jar");
        Path driver = Path.of(org.duckdb.DuckDBDriver.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path builtDriver = Path.of("target", "lib").resolve(driver.getFileName()).toAbsolutePath();
        List<String> path = new ArrayList<>(List.of(jar.toString()));
        boolean jarsOnly = true;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry).toAbsolutePath();
            if (p.equals(classes) || p.equals(Path.of("target", "test-classes").toAbsolutePath())) continue;
            if (p.equals(driver) && Files.isRegularFile(builtDriver)) entry = builtDriver.toString();
            path.add(entry);
            if (Files.isDirectory(p)) jarsOnly = false;
        }
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new java.util.jar.JarEntry(classes.relativize(f).toString().replace(java.io.File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        env.put("README_SERVER_CLASSPATH", String.join(java.io.File.pathSeparator, path));
        // the JVM says at error level, on stdout, that --enable-native-access turns off one of the archive's
        // optimisations (JDK 25): not an error, and not part of what the command prints (JDK 24 added the aot tag)
        String quiet = Runtime.version().feature() >= 24 ? "-Xlog:cds*=off,aot*=off" : "-Xlog:cds*=off";
        env.put("README_CDS", jarsOnly ? "-XX:+AutoCreateSharedArchive " + quiet : "");
    }

    /** One command in the reader's shell (its variables and exports stay for the next), its output and exit status. */
    private Result runInBash(int n, String text) throws Exception {
        if (text.matches("(?s)rm -rf data\\b.*")) stopGateways();
        Path out = clone.resolve(".run/out." + n);
        Path rc = clone.resolve(".run/rc." + n);
        try {
            send("{ " + text + "\n} > " + out + " 2>&1 < /dev/null; echo $? > " + rc + ".tmp; mv " + rc + ".tmp " + rc + "\n");
        } catch (IOException e) {
            // bash leaves on a syntax error: the command before this one is not whole as README writes it
            throw new AssertionError("the reader's shell has exited (a syntax error in the command before this one?); this command: " + text, e);
        }
        long deadline = System.nanoTime() + COMMAND_TIMEOUT.toNanos();
        while (!Files.exists(rc)) {
            if (System.nanoTime() > deadline) return new Result(124, read(out) + "\n(still running after " + COMMAND_TIMEOUT + ")");
            if (!bash.isAlive()) return new Result(-1, read(out) + "\n(the shell ended: " + read(clone.resolve(".bash.log")) + ")");
            Thread.sleep(20);
        }
        return new Result(Integer.parseInt(Files.readString(rc).trim()), read(out));
    }

    /**
     * serve and sandbox keep running, as in a reader's second terminal: started in the background, ready once they say
     * they listen (a gateway also once its gateway.json is written), or finished when they fail at start-up.
     */
    private Result startServer(int n, String text, List<String> shown) throws Exception {
        String command = text.replaceFirst("\\s*&\\s*$", "");
        boolean gateway = command.startsWith("./tollgate serve");
        Matcher port = Pattern.compile("--port (\\d+)").matcher(command);
        String onPort = port.find() ? port.group(1) : ports.get("4000");
        for (Server s : List.copyOf(servers)) {
            if (gateway ? s.kind().equals("serve") : s.port().equals(onPort)) stop(s);
        }
        Matcher data = Pattern.compile("--data (\\S+)").matcher(command);
        Path dataDir = clone.resolve(data.find() ? data.group(1) : "data");
        Path out = clone.resolve(".run/out." + n);
        Path pid = clone.resolve(".run/pid." + n);
        send(command + " > " + out + " 2>&1 < /dev/null &\necho $! > " + pid + ".tmp; mv " + pid + ".tmp " + pid + "\n");
        while (!Files.exists(pid)) Thread.sleep(20);
        ProcessHandle process = ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).orElse(null);
        long deadline = System.nanoTime() + COMMAND_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String output = read(out);
            if (process == null || !process.isAlive()) {
                int exit = process == null ? -1 : process.onExit().thenApply(p -> 0).get();
                // the exit status of a background job is bash's; a server that ended at start-up failed
                return new Result(output.contains("listening on") ? exit : 1, read(out));
            }
            boolean ready = output.contains("listening on") && (!gateway || Files.exists(dataDir.resolve("gateway.json")));
            // once ready, what it prints at start is out within moments; a line README shows that never comes is a failure
            if (ready) deadline = Math.min(deadline, System.nanoTime() + Duration.ofSeconds(3).toNanos());
            if (ready && ReadmeConsole.unmatched(shown, fromLocalPorts(output).lines().toList()).isEmpty()) {
                servers.add(new Server(gateway ? "serve" : "sandbox", onPort, dataDir, process));
                return new Result(0, output);
            }
            Thread.sleep(50);
        }
        if (process != null) servers.add(new Server(gateway ? "serve" : "sandbox", onPort, dataDir, process));
        return new Result(0, read(out));
    }

    private void stopGateways() throws Exception {
        for (Server s : List.copyOf(servers)) if (s.kind().equals("serve")) stop(s);
    }

    /** As a reader stops it: SIGTERM (Ctrl-C), and the wait for its clean stop (the ledger written, gateway.json removed). */
    private void stop(Server s) throws Exception {
        s.process().destroy();
        try {
            s.process().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            s.process().destroyForcibly();
        }
        servers.remove(s);
    }

    private void send(String script) throws IOException {
        toBash.write(script);
        toBash.flush();
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }

    private String toLocalPorts(String text) {
        return README_PORT.matcher(text).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + ports.get(m.group(2))));
    }

    private String fromLocalPorts(String text) {
        for (Map.Entry<String, String> p : ports.entrySet()) {
            text = text.replaceAll("(localhost:|127\\.0\\.0\\.1:|--port )" + p.getValue() + "\\b", "$1" + p.getKey());
        }
        return text;
    }

    /**
     * README's listening lines say io_uring, what auto takes where the kernel and the container allow it. Where they do
     * not (a seccomp profile that refuses io_uring_setup), serve names what it took instead and why: that counts as README's.
     */
    private static String asReadmeTransport(String text) {
        return text.replace(" (" + NetworkTransport.AUTO.choose().describe() + ", ledger: ", " (io_uring, ledger: ");
    }

    private static String freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return Integer.toString(s.getLocalPort());
        }
    }
}
