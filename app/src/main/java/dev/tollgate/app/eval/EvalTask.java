package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tollgate.gateway.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One task of a task set: the messages a candidate is asked, the reference answer (or null), how the answer is
 * scored, and optionally the {@code response_format} sent with it.
 */
public record EvalTask(String id, ArrayNode messages, String reference, Scorer scorer, JsonNode responseFormat) {

    /** A mistake in a task file, with its line. */
    public static final class Invalid extends RuntimeException {
        Invalid(String message) {
            super(message);
        }
    }

    /**
     * Reads a task set: one JSON object a line, {@code {"id", "messages", "reference"?, "scorer"?, "response_format"?}}.
     * Blank lines and lines starting with {@code #} are skipped.
     */
    public static List<EvalTask> read(Path file) throws IOException {
        List<EvalTask> tasks = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String where = file.getFileName() + ":" + (i + 1) + ": ";
            try {
                EvalTask task = parse(Json.parse(line));
                if (!ids.add(task.id())) throw new Invalid("task id '" + task.id() + "' appears twice");
                tasks.add(task);
            } catch (IOException e) {
                throw new Invalid(where + "not a JSON object");
            } catch (Invalid | IllegalArgumentException e) {
                throw new Invalid(where + e.getMessage());
            }
        }
        if (tasks.isEmpty()) throw new Invalid(file + " holds no tasks");
        return tasks;
    }

    static EvalTask parse(JsonNode n) {
        String id = n.path("id").asText("");
        if (id.isEmpty()) throw new Invalid("a task needs an \"id\"");
        JsonNode messages = n.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new Invalid("task '" + id + "' needs \"messages\" (an array of {role, content})");
        }
        JsonNode ref = n.get("reference");
        String reference = ref == null || ref.isNull() ? null : ref.isTextual() ? ref.asText() : ref.toString();
        Scorer scorer = Scorer.parse(n.get("scorer"), reference);
        JsonNode format = n.get("response_format");
        return new EvalTask(id, (ArrayNode) messages, reference, scorer, format == null || format.isNull() ? null : format);
    }

    /** The text of the last user message, as a reviewer is shown the task. */
    String prompt() {
        for (int i = messages.size() - 1; i >= 0; i--) {
            JsonNode m = messages.get(i);
            if (!"user".equals(m.path("role").asText())) continue;
            JsonNode content = m.get("content");
            if (content != null && content.isTextual()) return content.asText();
            StringBuilder text = new StringBuilder();
            if (content != null) content.forEach(p -> text.append(p.path("text").asText("")));
            return text.toString();
        }
        return "";
    }
}
