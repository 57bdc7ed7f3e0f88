package dev.tollgate.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One request's prompt as the prompt log keeps it, already redacted, with the prompt's tokens split by part.
 *
 * @param time          when the request arrived (the ledger row's time)
 * @param requestId     joins the ledger row
 * @param keyName       the virtual key's name
 * @param tags          attribution tags
 * @param api           the ledger's API name ("openai.chat", "anthropic.messages", …)
 * @param model         the model the client asked for
 * @param systemPrompt  the system prompt (system/developer messages, Anthropic's system, Responses instructions), or null
 * @param messages      the conversation without the system prompt, oldest first
 * @param maxTokens     the output cap the client set, or -1 when it set none
 * @param systemTokens  tokens of the system prompt's text
 * @param historyTokens tokens of every message before the last user message
 * @param userTokens    tokens of the last user message
 * @param sampleRate    the share of such requests that are logged (to scale what was seen back up)
 * @param answer        the answer's text the client got (redacted), or null (a tool call, a failure, an older row):
 *                      the reference when {@code tollgate eval --prompt-log} replays the prompt on a candidate
 */
public record PromptRecord(Instant time, String requestId, String keyName, Map<String, String> tags, String api,
                           String model, String systemPrompt, List<Message> messages, long maxTokens,
                           long systemTokens, long historyTokens, long userTokens, double sampleRate, String answer) {

    public PromptRecord {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        messages = messages == null ? List.of() : List.copyOf(messages);
    }

    /** A prompt without its answer. */
    public PromptRecord(Instant time, String requestId, String keyName, Map<String, String> tags, String api, String model,
                        String systemPrompt, List<Message> messages, long maxTokens, long systemTokens, long historyTokens,
                        long userTokens, double sampleRate) {
        this(time, requestId, keyName, tags, api, model, systemPrompt, messages, maxTokens, systemTokens, historyTokens,
                userTokens, sampleRate, null);
    }

    /** One message: its role ("user", "assistant", "tool") and its text. */
    public record Message(String role, String content) {
    }

    /** Prompt tokens the gateway counted: system, history and the last user message. */
    public long promptTokens() {
        return systemTokens + historyTokens + userTokens;
    }
}
