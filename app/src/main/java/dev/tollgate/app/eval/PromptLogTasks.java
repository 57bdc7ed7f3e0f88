package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.tollgate.app.GatewayLink;
import dev.tollgate.app.LedgerSource;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.audit.AuditEndpoint;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A task set drawn from the gateway's own traffic: a seeded sample of the prompt log's prompts (successful requests
 * whose answer was logged), each with the answer production gave as its reference. Read from the shared ledger with
 * {@code --ledger}, else from the ledger file when no process holds it, else from the gateway that does ({@code GET /admin/prompts/sample}), as {@code audit} does.
 * Prompts with tool messages are left out (replayed without their tools they would not be the same task), and so
 * are the eval's own calls (those with all of its {@code --tags}, or its {@link GatewayCaller#MARK}).
 */
final class PromptLogTasks {

    private PromptLogTasks() {
    }

    /**
     * The sample as JSON ({@link AuditEndpoint#sampleJson}), from PostgreSQL ({@code --ledger}), the file or the gateway,
     * without the eval's own calls under {@code evalTags} ({@link GatewayCaller#ownCalls}).
     */
    static JsonNode sample(LedgerSource ledger, Path dataDir, java.util.function.Supplier<GatewayLink> gateway, int n, String since,
                           long seed, String evalTags, Instant now) throws Exception {
        Duration window = AuditEndpoint.since(since);
        List<String> excluded = GatewayCaller.ownCalls(evalTags);
        StringBuilder query = new StringBuilder("/admin/prompts/sample?n=" + n + "&seed=" + seed + "&since=" + URLEncoder.encode(since, StandardCharsets.UTF_8));
        excluded.forEach(set -> query.append("&exclude_tags=").append(URLEncoder.encode(set, StandardCharsets.UTF_8)));
        return ledger.read(dataDir, l -> AuditEndpoint.sampleJson(l.prompts().sample(now.minus(window), null, n, seed,
                        excluded.stream().map(AuditEndpoint::excluding).toList())),
                () -> gateway.get().get(query.toString()));
    }

    /** Tasks from a sample: the system prompt and messages as Chat Completions takes them, the answer as reference. */
    static List<EvalTask> tasks(JsonNode sample, JsonNode scorer) {
        List<EvalTask> tasks = new ArrayList<>();
        for (JsonNode p : sample.path("prompts")) {
            String answer = p.path("answer").asText(null);
            if (answer == null) continue;
            ArrayNode messages = Json.array();
            if (p.path("system_prompt").isTextual()) messages.addObject().put("role", "system").put("content", p.get("system_prompt").asText());
            boolean tools = false;
            for (JsonNode m : p.path("messages")) {
                String role = m.path("role").asText();
                if (!role.equals("user") && !role.equals("assistant")) tools = true;
                messages.addObject().put("role", role).put("content", m.path("content").asText());
            }
            if (tools || messages.isEmpty()) continue;
            tasks.add(new EvalTask(p.path("request_id").asText(), messages, answer, Scorer.parse(scorer, answer), null));
        }
        return tasks;
    }

    /** {@code --scorer}: a name ("normalized", "judge", …) or a JSON object as a task file takes it. */
    static JsonNode scorer(String text) {
        if (text == null || text.isBlank()) return null;
        String t = text.strip();
        if (!t.startsWith("{")) return TextNode.valueOf(t);
        try {
            return Json.parse(t);
        } catch (IOException e) {
            throw new IllegalArgumentException("--scorer is neither a scorer's name nor a JSON object: " + t);
        }
    }
}
