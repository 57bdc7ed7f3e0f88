package dev.tollgate.gateway.tier;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Json;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The cascade's deterministic checks of an answer, in the client's wire format: valid JSON against the request's
 * schema (networknt's json-schema-validator, draft 2020-12), a regex, a minimum length, not a refusal. Pure.
 */
public final class AnswerChecks {

    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    /** How answers that decline begin; looked for in their first sentences only, so an answer that quotes one passes. */
    private static final Pattern REFUSAL = Pattern.compile(
            "\\b(i('m| am)? (sorry|afraid),? (but )?i (can('|no)?t|cannot|am unable to|'m unable to|won't)"
                    + "|i (can('|no)?t|cannot|won't|am unable to|'m unable to|am not able to|'m not able to) (help|assist|do that|comply|provide|answer)"
                    + "|as an ai( language model)?,? i (can('|no)?t|cannot|don't))");
    private static final int REFUSAL_WINDOW = 200;

    private AnswerChecks() {
    }

    /**
     * Why the answer fails the checks (a few words for the log), or null when it passes. An answer without text (a
     * tool call) passes: the checks are about text.
     */
    public static String failure(TierConfig.Cascade checks, Api api, JsonNode request, JsonNode answer) {
        return failureOfText(checks, api, request, text(api, answer));
    }

    /** As {@link #failure}, for a stream held whole: its server-sent events, in the client's wire format. */
    public static String streamFailure(TierConfig.Cascade checks, Api api, JsonNode request, String events) {
        return failureOfText(checks, api, request, streamText(api, events));
    }

    private static String failureOfText(TierConfig.Cascade checks, Api api, JsonNode request, String text) {
        if (text == null) return null;
        JsonNode format = StructuredOutput.format(api, request);
        if (format != null && checks.jsonSchema()) {
            JsonNode parsed = Json.tree(text);
            if (parsed == null || parsed.isMissingNode() || !(parsed.isObject() || parsed.isArray())) return "not JSON";
            JsonNode schema = StructuredOutput.schema(format);
            if (schema != null) {
                List<Error> errors = SCHEMAS.getSchema(schema.toString(), InputFormat.JSON).validate(parsed.toString(), InputFormat.JSON);
                if (!errors.isEmpty()) return "not valid against the schema: " + errors.getFirst().getMessage();
            }
        }
        if (text.length() < checks.minLength()) return "shorter than " + checks.minLength() + " characters";
        if (checks.pattern() != null && !checks.pattern().matcher(text).find()) return "no match for " + checks.pattern().pattern();
        if (checks.refusal() && refusal(text)) return "a refusal";
        return null;
    }

    /** Whether the text reads as declining the request. */
    static boolean refusal(String text) {
        String head = text.length() > REFUSAL_WINDOW ? text.substring(0, REFUSAL_WINDOW) : text;
        return REFUSAL.matcher(head.toLowerCase(Locale.ROOT).replace('\u2019', '\'')).find();
    }

    /** A stream's text, from its deltas; null when it calls a tool. */
    public static String streamText(Api api, String events) {
        StringBuilder out = new StringBuilder();
        for (String line : events.split("\n")) {
            if (!line.startsWith("data:")) continue;
            String data = line.substring(5).strip();
            if (data.isEmpty() || data.equals("[DONE]")) continue;
            JsonNode e = Json.tree(data);
            switch (api) {
                case OPENAI_CHAT -> {
                    JsonNode delta = e.path("choices").path(0).path("delta");
                    if (delta.has("tool_calls")) return null;
                    if (delta.path("content").isTextual()) out.append(delta.get("content").asText());
                }
                case OPENAI_COMPLETIONS -> out.append(e.path("choices").path(0).path("text").asText(""));
                case ANTHROPIC_MESSAGES -> {
                    if (e.path("content_block").path("type").asText().equals("tool_use")) return null;
                    if (e.path("delta").path("type").asText().equals("text_delta")) out.append(e.path("delta").path("text").asText());
                }
                case OPENAI_RESPONSES -> {
                    String type = e.path("type").asText();
                    if (type.startsWith("response.function_call")) return null;
                    if (type.equals("response.output_text.delta")) out.append(e.path("delta").asText());
                }
                default -> {
                    return null;
                }
            }
        }
        return out.toString();
    }

    /** The answer's text, or null when it has none (only tool calls). */
    public static String text(Api api, JsonNode answer) {
        StringBuilder out = new StringBuilder();
        boolean any = false;
        switch (api) {
            case OPENAI_CHAT -> {
                JsonNode content = answer.path("choices").path(0).path("message").path("content");
                if (content.isTextual()) return content.asText();
            }
            case OPENAI_COMPLETIONS -> {
                JsonNode content = answer.path("choices").path(0).path("text");
                if (content.isTextual()) return content.asText();
            }
            case ANTHROPIC_MESSAGES -> {
                for (JsonNode block : answer.path("content")) {
                    if (block.path("type").asText().equals("text")) {
                        out.append(block.path("text").asText());
                        any = true;
                    }
                }
            }
            case OPENAI_RESPONSES -> {
                for (JsonNode item : answer.path("output")) {
                    if (!item.path("type").asText().equals("message")) continue;
                    for (JsonNode part : item.path("content")) {
                        if (part.path("type").asText().equals("output_text")) {
                            out.append(part.path("text").asText());
                            any = true;
                        }
                    }
                }
            }
            default -> {
                return null;
            }
        }
        return any ? out.toString() : null;
    }
}
