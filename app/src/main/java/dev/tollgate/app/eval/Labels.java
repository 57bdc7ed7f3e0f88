package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * People's verdicts: a JSONL file of {@code {"id": TASK, "model": MODEL?, "pass": true|false}} (or
 * {@code "label": "pass"|"fail"}). A label without a model applies to every model's answer to that task; one with a
 * model wins over it. Labels override the scorers' verdicts and are what the judge's agreement is measured against.
 */
final class Labels {

    private final Map<String, Boolean> byTaskAndModel = new HashMap<>();
    private final Map<String, Boolean> byTask = new HashMap<>();

    static Labels none() {
        return new Labels();
    }

    static Labels read(Path file) throws IOException {
        Labels labels = new Labels();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            JsonNode n = Json.parseOrNull(line);
            String where = file.getFileName() + ":" + (i + 1) + ": ";
            if (n == null || !n.isObject() || !n.hasNonNull("id")) throw new EvalTask.Invalid(where + "a label is {\"id\", \"model\"?, \"pass\"}");
            Boolean pass = n.get("pass") != null && n.get("pass").isBoolean() ? n.get("pass").asBoolean()
                    : switch (n.path("label").asText("").toLowerCase(Locale.ROOT)) {
                        case "pass" -> true;
                        case "fail" -> false;
                        default -> throw new EvalTask.Invalid(where + "a label needs \"pass\": true|false or \"label\": \"pass\"|\"fail\"");
                    };
            String task = n.get("id").asText();
            if (n.hasNonNull("model")) labels.byTaskAndModel.put(EvalResult.key(task, n.get("model").asText()), pass);
            else labels.byTask.put(task, pass);
        }
        return labels;
    }

    /** The people's verdict on this model's answer to this task, if they gave one. */
    Optional<Boolean> of(String task, String model) {
        Boolean pass = byTaskAndModel.get(EvalResult.key(task, model));
        return Optional.ofNullable(pass != null ? pass : byTask.get(task));
    }

    /** The task ids the labels name, in no order. */
    java.util.Set<String> taskIds() {
        java.util.Set<String> ids = new java.util.TreeSet<>(byTask.keySet());
        byTaskAndModel.keySet().forEach(k -> ids.add(k.substring(0, k.indexOf('\u0000'))));
        return ids;
    }

    boolean isEmpty() {
        return byTask.isEmpty() && byTaskAndModel.isEmpty();
    }
}
