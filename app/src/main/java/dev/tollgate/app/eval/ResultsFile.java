package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The results of a run, one JSON line per answer, appended and flushed as each answer comes: an interrupted run
 * leaves every finished answer behind, and the next run asks only for the pairs without one. A line cut short by the
 * interruption is ignored; a later line for the same task and model wins. {@code eval --shadow --judge} keeps the
 * judge's verdicts here the same way, a shadow pair's request id standing as the task and its candidate as the model.
 */
final class ResultsFile implements AutoCloseable {

    private final Map<String, EvalResult> results = new LinkedHashMap<>();
    private final Path file;
    private final BufferedWriter out;

    private ResultsFile(Path file) throws IOException {
        this.file = file;
        if (Files.exists(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (String line : lines) {
                JsonNode n = Json.parseOrNull(line);
                if (n == null || !n.isObject() || !n.has("task")) continue;
                EvalResult r = EvalResult.fromJson(n);
                results.put(r.key(), r);
            }
            String text = Files.readString(file, StandardCharsets.UTF_8);
            if (!text.isEmpty() && !text.endsWith("\n")) {
                // end a line cut short so the next result starts on a line of its own
                Files.writeString(file, "\n", StandardOpenOption.APPEND);
            }
        }
        if (file.getParent() != null) Files.createDirectories(file.getParent());
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    static ResultsFile open(Path file) throws IOException {
        return new ResultsFile(file);
    }

    Path file() {
        return file;
    }

    /** Whether this pair already has an answer (a failed call does not count). */
    synchronized boolean done(String task, String model) {
        EvalResult r = results.get(EvalResult.key(task, model));
        return r != null && !r.failed();
    }

    /** The latest result of this pair, or null. */
    synchronized EvalResult get(String task, String model) {
        return results.get(EvalResult.key(task, model));
    }

    synchronized void append(EvalResult result) throws IOException {
        results.put(result.key(), result);
        out.write(result.toJson().toString());
        out.newLine();
        out.flush();
    }

    /** The latest result of each pair. */
    synchronized List<EvalResult> all() {
        return List.copyOf(results.values());
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
