package dev.tollgate.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What a command prints is its answer: no log lines in it, progress fit for where stderr goes, and a word on an unused tag. */
class OutputHygieneTest {

    @TempDir
    Path dir;

    @Test
    void aCommandRunAsAUserRunsItPrintsItsAnswerWithoutLogLines() throws Exception {
        ReportCommandTest.fill(dir);
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "report", "--data", dir.toString(), "--by", "team", "--format", "csv").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(err).isZero();
        assertThat(out).startsWith("team,requests,").contains("search,2,");
        assertThat(err).as("stderr").doesNotContain("INFO", "ledger opened");

        assertThat(Main.logLevel(new String[] {"export", "focus", "--out", "x.csv"})).isEqualTo("warn");
        assertThat(Main.logLevel(new String[] {"plan", "whatif"})).isEqualTo("warn");
        assertThat(Main.logLevel(new String[] {"--verbose", "serve", "--port", "0"})).isNull();
        assertThat(Main.logLevel(new String[] {"sandbox"})).isNull();
    }

    @Test
    void aTagNoRequestCarriesIsSaidSo() {
        ReportCommandTest.fill(dir);
        ReportCommandTest.Run colour = ReportCommandTest.run(Map.of(), "report", "--data", dir.toString(), "--by", "colour", "--format", "csv");
        assertThat(colour.exit()).isZero();
        assertThat(colour.out()).startsWith("colour,requests,");
        assertThat(colour.err()).isEqualTo("report: no request in this period carries the tag 'colour', so all of it is under (none)"
                + System.lineSeparator());

        ReportCommandTest.Run team = ReportCommandTest.run(Map.of(), "report", "--data", dir.toString(), "--by", "team,model");
        assertThat(team.exit()).isZero();
        assertThat(team.err()).isEmpty();
    }

    @Test
    void progressIntoAFileOrPipeIsPlainLines() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (WorkProgress lines = new WorkProgress.Lines("plan whatif", 1_000_000, err)) {
            for (long done = 0; done <= 1_000_000; done += 50_000) lines.stepTo(done);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("\r", "\u001b");
        assertThat(text.lines().toList()).hasSize(10).startsWith("plan whatif: 100,000 of 1,000,000 rows (10%)")
                .endsWith("plan whatif: 1,000,000 of 1,000,000 rows (100%)");

        bytes.reset();
        WorkProgress.Elapsed plain = new WorkProgress.Elapsed("export focus", "writing out.csv", err, false);
        plain.close(); // no timer ticks: the test drives them
        for (int i = 0; i < 25; i++) plain.tick();
        plain.close();
        assertThat(bytes.toString(StandardCharsets.UTF_8).lines().toList())
                .containsExactly("export focus: writing out.csv … 10 s", "export focus: writing out.csv … 20 s");

        bytes.reset();
        WorkProgress.Elapsed terminal = new WorkProgress.Elapsed("export focus", "writing out.csv", err, true);
        terminal.close();
        terminal.tick();
        terminal.close();
        assertThat(bytes.toString(StandardCharsets.UTF_8)).startsWith("\rexport focus: writing out.csv … 1 s").endsWith("\r")
                .doesNotContain("\n");
    }

    @Test
    void anExportSaysNothingOnStdoutButWhatItWrote() throws Exception {
        ReportCommandTest.fill(dir);
        Path csv = dir.resolve("focus.csv");
        ReportCommandTest.Run export = ReportCommandTest.run(Map.of(), "export", "focus", "--data", dir.toString(), "--out", csv.toString());
        assertThat(export.exit()).as(export.err()).isZero();
        assertThat(export.out()).isEqualTo("wrote 3 FOCUS charge rows to " + csv + System.lineSeparator());
        assertThat(Files.readAllLines(csv)).hasSize(4);
        assertThat(List.of(export.err())).containsExactly("");
    }
}
