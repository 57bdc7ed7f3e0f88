package dev.tollgate.gateway.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.store.PromptLog;
import dev.tollgate.gateway.http.ServerRequest;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * {@code GET /admin/audit?since=30d} (or {@code from}/{@code to}, and {@code limit}): the prompt audit over the logged
 * prompts. Runs on a worker thread (the admin API's), never on an event loop.
 */
public final class AuditEndpoint {

    /** The newest prompts of the period that are audited: enough for stable figures, bounded in memory. */
    public static final int DEFAULT_LIMIT = 20_000;

    private AuditEndpoint() {
    }

    /** The report for the request's parameters; IllegalArgumentException for a bad parameter. */
    public static ObjectNode report(GatewayServices services, ServerRequest request) {
        Instant to = instant(request.getParam("to"), "to");
        Instant from = request.getParam("from") != null ? instant(request.getParam("from"), "from")
                : (to == null ? services.clock().instant() : to).minus(since(request.getParam("since")));
        int limit = DEFAULT_LIMIT;
        if (request.getParam("limit") != null) {
            try {
                limit = Integer.parseInt(request.getParam("limit"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("limit must be a whole number");
            }
            if (limit < 1) throw new IllegalArgumentException("limit must be positive");
        }
        PromptRecorder recorder = services.observability().prompts();
        if (recorder != null) recorder.flush();
        PromptLog log = recorder != null ? recorder.store() : services.ledger().unwrap().prompts();
        if (log == null) throw new IllegalArgumentException("this gateway's ledger keeps no prompt log");
        PromptAudit audit = new PromptAudit(services.catalog().get(), services.config().observe().promptLog().groupTag());
        ObjectNode body = AuditJson.of(audit.run(log.audited(from, to, limit)));
        body.put("prompt_log_enabled", recorder != null);
        return body;
    }

    /**
     * {@code GET /admin/prompts/sample?n=50&since=30d&seed=1&exclude_tags=feature=eval}: a seeded random sample of
     * logged prompts of successful requests that have their answer, with it ({@link #sampleJson}), but for those with
     * every tag of an {@code exclude_tags} (repeatable: any one of them): the task set of {@code tollgate eval
     * --prompt-log} (which leaves out its own calls).
     */
    public static ObjectNode sample(GatewayServices services, ServerRequest request) {
        Instant from = services.clock().instant().minus(since(request.getParam("since")));
        int n = whole(request.getParam("n"), 50, "n");
        long seed = whole(request.getParam("seed"), 1, "seed");
        if (n < 1) throw new IllegalArgumentException("n must be positive");
        PromptRecorder recorder = services.observability().prompts();
        if (recorder != null) recorder.flush();
        PromptLog log = recorder != null ? recorder.store() : services.ledger().unwrap().prompts();
        if (log == null) throw new IllegalArgumentException("this gateway's ledger keeps no prompt log");
        return sampleJson(log.sample(from, null, n, seed, request.params().getAll("exclude_tags").stream().map(AuditEndpoint::excluding).toList()));
    }

    /** {@code {"prompts": [{request_id, time, model, system_prompt, messages: [{role, content}], answer}]}}. */
    public static ObjectNode sampleJson(java.util.List<dev.tollgate.store.AuditedPrompt> sample) {
        ObjectNode body = dev.tollgate.gateway.Json.object();
        var list = body.putArray("prompts");
        for (var a : sample) {
            var p = a.prompt();
            ObjectNode o = list.addObject().put("request_id", p.requestId()).put("time", p.time().toString()).put("model", p.model())
                    .put("system_prompt", p.systemPrompt());
            var messages = o.putArray("messages");
            p.messages().forEach(m -> messages.addObject().put("role", m.role()).put("content", m.content()));
            o.put("answer", p.answer());
        }
        return body;
    }

    /** "feature=eval,team=x" as a map; null or blank: empty. */
    public static java.util.Map<String, String> excluding(String tags) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        if (tags == null || tags.isBlank()) return out;
        for (String pair : tags.split(",")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("exclude_tags must be name=value pairs, not '" + pair + "'");
            out.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
        }
        return out;
    }

    private static int whole(String value, int otherwise, String name) {
        if (value == null || value.isBlank()) return otherwise;
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, not '" + value + "'");
        }
    }

    /** "30d", "12h", "90m": how far back from now (default 30 days). */
    public static Duration since(String value) {
        if (value == null || value.isBlank()) return Duration.ofDays(30);
        String v = value.trim();
        try {
            long n = Long.parseLong(v.substring(0, v.length() - 1));
            return switch (v.charAt(v.length() - 1)) {
                case 'd' -> Duration.ofDays(n);
                case 'h' -> Duration.ofHours(n);
                case 'm' -> Duration.ofMinutes(n);
                default -> throw new NumberFormatException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("since must be a number of days, hours or minutes (30d, 12h, 90m), not '" + value + "'");
        }
    }

    private static Instant instant(String value, String name) {
        if (value == null || value.isBlank()) return null;
        try {
            return value.length() == 10 ? LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be a date (2026-11-01) or an instant (2026-11-01T00:00:00Z), not '" + value + "'");
        }
    }
}
