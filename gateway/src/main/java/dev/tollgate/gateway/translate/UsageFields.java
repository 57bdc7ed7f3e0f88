package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Json;

/** Reads and writes the usage objects of each wire format (shared/reference/provider-usage.md). */
public final class UsageFields {

    private UsageFields() {
    }

    /**
     * OpenAI's usage: Chat Completions' {@code prompt_tokens/completion_tokens} or the Responses API's
     * {@code input_tokens/output_tokens}, with cached, cache-write (GPT-5.6 and later) and reasoning tokens as
     * subsets.
     */
    public static Usage fromOpenAi(JsonNode u) {
        if (u.has("input_tokens") && !u.has("prompt_tokens")) {
            JsonNode input = u.path("input_tokens_details");
            return Usage.openAi(u.path("input_tokens").asLong(), input.path("cached_tokens").asLong(),
                    input.path("cache_write_tokens").asLong(), u.path("output_tokens").asLong(),
                    u.path("output_tokens_details").path("reasoning_tokens").asLong());
        }
        JsonNode prompt = u.path("prompt_tokens_details");
        return Usage.openAi(u.path("prompt_tokens").asLong(), prompt.path("cached_tokens").asLong(),
                prompt.path("cache_write_tokens").asLong(), u.path("completion_tokens").asLong(),
                u.path("completion_tokens_details").path("reasoning_tokens").asLong());
    }

    /**
     * Anthropic's usage: {@code input_tokens} is only what follows the last cache breakpoint; cache reads and writes
     * are added to it. Writes without the 5m/1h split count as 5-minute writes.
     */
    public static Usage fromAnthropic(JsonNode u) {
        long writes = u.path("cache_creation_input_tokens").asLong();
        JsonNode split = u.path("cache_creation");
        long oneHour = split.path("ephemeral_1h_input_tokens").asLong();
        long fiveMin = split.has("ephemeral_5m_input_tokens") ? split.get("ephemeral_5m_input_tokens").asLong() : writes - oneHour;
        return Usage.anthropic(u.path("input_tokens").asLong(), u.path("cache_read_input_tokens").asLong(),
                Math.max(0, fiveMin), oneHour, u.path("output_tokens").asLong());
    }

    public static ObjectNode toOpenAiChat(Usage u) {
        ObjectNode n = Json.object();
        n.put("prompt_tokens", u.inputTokens());
        n.put("completion_tokens", u.outputTokens());
        n.put("total_tokens", u.totalTokens());
        cacheDetails(n.putObject("prompt_tokens_details"), u);
        n.putObject("completion_tokens_details").put("reasoning_tokens", u.reasoningTokens());
        return n;
    }

    /** The Responses API's usage; {@code input_tokens} counts all input, cache reads and writes included. */
    public static ObjectNode toOpenAiResponses(Usage u) {
        ObjectNode n = Json.object();
        n.put("input_tokens", u.inputTokens());
        cacheDetails(n.putObject("input_tokens_details"), u);
        n.put("output_tokens", u.outputTokens());
        n.putObject("output_tokens_details").put("reasoning_tokens", u.reasoningTokens());
        n.put("total_tokens", u.totalTokens());
        return n;
    }

    /** Cache reads, and cache writes where there were any (an Anthropic answer's, told to an OpenAI client). */
    private static void cacheDetails(ObjectNode details, Usage u) {
        details.put("cached_tokens", u.cachedInputTokens());
        if (u.cacheWriteTokens() > 0) details.put("cache_write_tokens", u.cacheWriteTokens());
    }

    public static ObjectNode toAnthropic(Usage u) {
        ObjectNode n = Json.object();
        n.put("input_tokens", u.anthropicInputTokens());
        n.put("cache_creation_input_tokens", u.cacheWriteTokens());
        n.put("cache_read_input_tokens", u.cachedInputTokens());
        n.put("output_tokens", u.outputTokens());
        return n;
    }

    /** Whether a JSON text has a non-null {@code "usage"} object, without parsing it. */
    public static boolean hasUsageObject(String json) {
        int at = json.indexOf("\"usage\"");
        while (at >= 0) {
            int i = at + 7;
            while (i < json.length() && Character.isWhitespace(json.charAt(i))) i++;
            if (i < json.length() && json.charAt(i) == ':') {
                i++;
                while (i < json.length() && Character.isWhitespace(json.charAt(i))) i++;
                if (i < json.length() && json.charAt(i) == '{') return true;
            }
            at = json.indexOf("\"usage\"", at + 7);
        }
        return false;
    }
}
