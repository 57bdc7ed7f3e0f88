package dev.tollgate.app;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A checkout as the launcher finds it after a build: the launcher itself, and app/target/tollgate.jar naming a class
 * path in app/target/lib as the build lays it out (directories packed into jars: the JVM's caches take jars only), with
 * the JDK remembered; and {@code ./tollgate serve} run in it.
 */
final class BuiltCheckout {

    private BuiltCheckout() {
    }

    /** This test JVM's class path, its test classes left out. */
    static List<Path> testClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().normalize())
                .filter(p -> !p.endsWith("test-classes"))
                .toList();
    }

    /** The checkout at {@code checkout}, with {@code classPath} (jars and class directories) in its app/target/lib. */
    static Path create(Path checkout, List<Path> classPath) throws IOException {
        Path target = Files.createDirectories(checkout.resolve("app/target"));
        Path lib = Files.createDirectories(target.resolve("lib"));
        Files.copy(Path.of("..", "tollgate"), checkout.resolve("tollgate"));
        Files.writeString(target.resolve(".java-home"), System.getProperty("java.home") + "\n");
        List<String> manifestClassPath = new ArrayList<>();
        int n = 0;
        for (Path p : classPath) {
            Path inLib = lib.resolve(n++ + "-" + p.getFileName() + (Files.isDirectory(p) ? ".jar" : ""));
            if (Files.isDirectory(p)) {
                packDirectory(p, inLib);
            } else if (Files.isRegularFile(p)) {
                link(p, inLib);
            } else {
                continue;
            }
            manifestClassPath.add("lib/" + inLib.getFileName());
        }
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Main.class.getName());
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", manifestClassPath));
        try (OutputStream out = Files.newOutputStream(target.resolve("tollgate.jar"))) {
            new JarOutputStream(out, manifest).close();
        }
        return checkout;
    }

    /** A look at the serving gateway's JVM (the launcher exec's java: the process is the JVM). */
    interface WhileServing {
        void check(long pid) throws Exception;
    }

    /**
     * {@code ./tollgate serve} in {@code checkout} on the built-in sandbox, with {@code data} as its data directory and
     * {@code javaOpts} as TOLLGATE_JAVA_OPTS (none when null): it answers one chat completion (200), {@code whileServing}
     * looks at it, and it stops on SIGTERM, as on Ctrl-C. Gives its output, to its end.
     */
    static String serveAnswersAndStops(Path checkout, Path data, String javaOpts, WhileServing whileServing) throws Exception {
        ProcessBuilder command = new ProcessBuilder("bash", checkout.resolve("tollgate").toString(), "serve", "--port", "0",
                "--data", data.toString()).directory(data.getParent().toFile()).redirectErrorStream(true);
        command.environment().put("JAVA_HOME", System.getProperty("java.home"));
        if (javaOpts == null) command.environment().remove("TOLLGATE_JAVA_OPTS");
        else command.environment().put("TOLLGATE_JAVA_OPTS", javaOpts);
        Process serve = command.start();
        ServeOutput output = new ServeOutput(serve);
        try {
            int listening = output.awaitPort(Duration.ofMinutes(5));
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + listening + "/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(60)).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            whileServing.check(serve.pid());
        } finally {
            serve.destroy();
            serve.waitFor(60, TimeUnit.SECONDS);
            serve.destroyForcibly();
        }
        return output.whole();
    }

    /** {@code to} with the contents of {@code from}: a hard link, or a copy on another file system. */
    static void link(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(from, to);
        }
    }

    private static void packDirectory(Path directory, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(directory)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(Arrays.stream(directory.relativize(f).toString().split("[/\\\\]"))
                        .reduce((a, b) -> a + "/" + b).orElseThrow()));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }
}
