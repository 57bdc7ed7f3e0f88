package dev.tollgate.app;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The build's rewrite of picocli as Java 8 classes (app/src/build/ClassFileUpgrade.java, run at {@code package} so that
 * serve's AOT cache can hold them): the tests run with Maven's copy, the launcher with the rewritten one in
 * app/target/lib, so this runs the rewrite on Maven's copy and the command line with each, under the strictest verifier.
 */
class ClassFileUpgradeTest {

    @TempDir
    Path dir;

    @Test
    void picocliRewrittenAsJava8ClassesPassesTheVerifierAndPrintsTheSame() throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 24, "the class-file API the build uses is in JDK 24 and later");
        Path original = Path.of(CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertThat(majorVersions(original)).as("picocli as published: Java 5 classes (49)").contains(49);
        Path rewritten = Files.copy(original, dir.resolve(original.getFileName()));

        assertThat(run(List.of(java(), Path.of("src", "build", "ClassFileUpgrade.java").toString(), rewritten.toString())).output())
                .matches(rewritten.getFileName() + ": [1-9][0-9]* classes older than Java 6 rewritten as Java 8\\s*");
        assertThat(majorVersions(rewritten)).as("every class at Java 8 (52) or later").allMatch(v -> v >= 52);
        assertThat(run(List.of(java(), Path.of("src", "build", "ClassFileUpgrade.java").toString(), rewritten.toString())).output())
                .as("a second build finds nothing left to rewrite").contains(": 0 classes");

        for (List<String> args : List.of(List.of("--help"), List.of("budgets", "create", "b", "--scope", "team:x", "--period",
                "monthly", "--limit", "lots"))) {
            Result before = cli(original, original, args);
            Result after = cli(original, rewritten, args);
            assertThat(after).as("tollgate %s with the rewritten picocli", args).isEqualTo(before);
            assertThat(after.output()).isNotBlank();
        }
    }

    private record Result(int exit, String output) {}

    /** The CLI in a JVM of its own that verifies every class, with {@code picocli} in place of Maven's copy. */
    private Result cli(Path original, Path picocli, List<String> args) throws Exception {
        List<String> classPath = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            classPath.add(Path.of(entry).toAbsolutePath().equals(original.toAbsolutePath()) ? picocli.toString() : entry);
        }
        List<String> command = new ArrayList<>(List.of(java(), "-Xverify:all", "-XX:TieredStopAtLevel=1", "-cp",
                String.join(File.pathSeparator, classPath), Main.class.getName()));
        command.addAll(args);
        return run(command);
    }

    private Result run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s ended", command).isTrue();
        return new Result(p.exitValue(), out);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Each class's major version, read from its header: magic (4 bytes), minor (2), major (2). */
    private static List<Integer> majorVersions(Path jar) throws IOException {
        List<Integer> out = new ArrayList<>();
        try (JarFile in = new JarFile(jar.toFile())) {
            for (JarEntry e : Collections.list(in.entries())) {
                if (!e.getName().endsWith(".class") || e.getName().endsWith("module-info.class")) continue;
                try (InputStream s = in.getInputStream(e); DataInputStream d = new DataInputStream(s)) {
                    assertThat(d.readInt()).isEqualTo(0xCAFEBABE);
                    d.readUnsignedShort();
                    out.add(d.readUnsignedShort());
                }
            }
        }
        return out;
    }
}
