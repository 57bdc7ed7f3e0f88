package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tollgate.gateway.Json;

import java.util.Locale;

/**
 * The automatic reviewer: a judge model asked whether an answer passes a rubric, answering PASS or FAIL on its first
 * line and a reason after it. The prompt puts the task, the reference (when there is one) and the answer between
 * tags ({@code <task>}, {@code <reference>}, {@code <answer>}), the shape the sandbox grades deterministically.
 */
public record Judge(String model, String rubric) {

    public static final String DEFAULT_RUBRIC = "The answer does what the task asks and agrees with the reference answer when one is given.";

    /** The chat messages that ask the judge about one answer. */
    ArrayNode messages(EvalTask task, String rubricOfTask, String answer) {
        String used = rubricOfTask != null ? rubricOfTask : rubric;
        StringBuilder prompt = new StringBuilder()
                .append("You review one answer to a task against a rubric.\nRubric: ").append(used).append('\n')
                .append("<task>\n").append(task.prompt()).append("\n</task>\n");
        if (task.reference() != null) prompt.append("<reference>").append(task.reference()).append("</reference>\n");
        prompt.append("<answer>").append(answer).append("</answer>\n")
                .append("Does the answer pass the rubric? Write PASS or FAIL on the first line, then one sentence with the reason.");
        ArrayNode messages = Json.array();
        messages.addObject().put("role", "user").put("content", prompt.toString());
        return messages;
    }

    /** The judge's verdict: its first line starts with PASS or FAIL; anything else fails, saying so. */
    static Verdict verdict(String reply) {
        String text = reply.strip();
        String first = text.lines().findFirst().orElse("").strip().toUpperCase(Locale.ROOT).replaceAll("^[*#\\s]+", "");
        String reason = text.replaceFirst("(?i)^[*#\\s]*(PASS|FAIL)\\b[\\s:.\\-*]*", "").strip();
        if (first.startsWith("PASS")) return Verdict.pass(reason.isEmpty() ? "the judge passed it" : reason);
        if (first.startsWith("FAIL")) return Verdict.fail(reason.isEmpty() ? "the judge failed it" : reason);
        return Verdict.fail("the judge answered neither PASS nor FAIL: " + abbreviate(text));
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /**
     * A model's family, by its vendor's naming: gpt-*, o1/o3/o4-*, chatgpt-* and text-embedding-* are "openai",
     * claude-* is "anthropic", gemini and gemma "google", llama "meta", mistral, mixtral and codestral "mistral";
     * any other name is its own part before the first '-' (a provider prefix such as {@code openai/} is dropped).
     */
    static String family(String model) {
        String m = model.toLowerCase(Locale.ROOT);
        m = m.substring(m.lastIndexOf('/') + 1);
        if (m.startsWith("gpt") || m.startsWith("chatgpt") || m.matches("o\\d.*") || m.startsWith("text-embedding")) return "openai";
        if (m.startsWith("claude")) return "anthropic";
        if (m.startsWith("gemini") || m.startsWith("gemma")) return "google";
        if (m.startsWith("llama")) return "meta";
        if (m.startsWith("mistral") || m.startsWith("mixtral") || m.startsWith("codestral")) return "mistral";
        int dash = m.indexOf('-');
        return dash > 0 ? m.substring(0, dash) : m;
    }
}
