package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Json;

import java.io.IOException;

/** Reads and writes the usage objects of each wire format (shared/reference/provider-usage.md). */
public final class UsageFields {

    private UsageFields() {
    }

    /**
     * OpenAI's usage: Chat Completions' {@code prompt_tokens/completion_tokens} or the Responses API's
     * {@code input_tokens/output_tokens}, with cached, cache-write (GPT-5.6 and later) and reasoning tokens as
     * subsets. Null when {@code u} is no object or says something that cannot be billed (a negative count): the
     * caller counts the call locally instead, marked estimated.
     */
    public static Usage fromOpenAi(JsonNode u) {
        if (!u.isObject()) return null;
        if (u.has("input_tokens") && !u.has("prompt_tokens")) {
            JsonNode input = u.path("input_tokens_details");
            return openAi(u.path("input_tokens").asLong(), input.path("cached_tokens").asLong(),
                    input.path("cache_write_tokens").asLong(), u.path("output_tokens").asLong(),
                    u.path("output_tokens_details").path("reasoning_tokens").asLong());
        }
        JsonNode prompt = u.path("prompt_tokens_details");
        return openAi(u.path("prompt_tokens").asLong(), prompt.path("cached_tokens").asLong(),
                prompt.path("cache_write_tokens").asLong(), u.path("completion_tokens").asLong(),
                u.path("completion_tokens_details").path("reasoning_tokens").asLong());
    }

    /**
     * {@link #fromOpenAi} read straight from a parser at the usage object's start, without building its tree (a
     * complete answer's usage is read on every call); the parser is left at the object's end.
     */
    public static Usage readOpenAi(JsonParser p) throws IOException {
        long prompt = 0, completion = 0, input = 0, output = 0;
        long[] promptDetails = {0, 0}, inputDetails = {0, 0}, completionDetails = {0}, outputDetails = {0};
        boolean hasPrompt = false, hasInput = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            switch (name) {
                case "prompt_tokens" -> { prompt = number(p); hasPrompt = true; }
                case "input_tokens" -> { input = number(p); hasInput = true; }
                case "completion_tokens" -> completion = number(p);
                case "output_tokens" -> output = number(p);
                case "prompt_tokens_details" -> readLongs(p, promptDetails, "cached_tokens", "cache_write_tokens");
                case "input_tokens_details" -> readLongs(p, inputDetails, "cached_tokens", "cache_write_tokens");
                case "completion_tokens_details" -> readLongs(p, completionDetails, "reasoning_tokens");
                case "output_tokens_details" -> readLongs(p, outputDetails, "reasoning_tokens");
                default -> p.skipChildren();
            }
        }
        return hasInput && !hasPrompt
                ? openAi(input, inputDetails[0], inputDetails[1], output, outputDetails[0])
                : openAi(prompt, promptDetails[0], promptDetails[1], completion, completionDetails[0]);
    }

    /** {@link #fromAnthropic} read straight from a parser at the usage object's start, as {@link #readOpenAi}. */
    public static Usage readAnthropic(JsonParser p) throws IOException {
        long input = 0, cacheRead = 0, writes = 0, output = 0;
        long[] split = {0, Long.MIN_VALUE}; // 1h, 5m (MIN_VALUE: not given)
        long[] searches = {0};
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            switch (name) {
                case "input_tokens" -> input = number(p);
                case "cache_read_input_tokens" -> cacheRead = number(p);
                case "cache_creation_input_tokens" -> writes = number(p);
                case "output_tokens" -> output = number(p);
                case "cache_creation" -> readLongs(p, split, "ephemeral_1h_input_tokens", "ephemeral_5m_input_tokens");
                case "server_tool_use" -> readLongs(p, searches, "web_search_requests");
                default -> p.skipChildren();
            }
        }
        long oneHour = split[0];
        long fiveMin = split[1] != Long.MIN_VALUE ? split[1] : Math.max(0, writes - oneHour);
        return anthropic(input, cacheRead, fiveMin, oneHour, output, searches[0]);
    }

    /**
     * The numbers {@code names} of the object at the parser, into {@code into} in the same order, as
     * {@code path(name).asLong()} reads them; absent ones (all, when the value is no object) keep their value.
     */
    private static void readLongs(JsonParser p, long[] into, String... names) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            int i = names.length - 1;
            while (i >= 0 && !names[i].equals(name)) i--;
            if (i >= 0) into[i] = number(p);
            else p.skipChildren();
        }
    }

    /** The number at the parser as {@code asLong()} reads a node: text is parsed, anything else not a number is 0. */
    private static long number(JsonParser p) throws IOException {
        long value = p.getValueAsLong();
        p.skipChildren(); // an object or array where a number belongs
        return value;
    }

    /**
     * Anthropic's usage: {@code input_tokens} is only what follows the last cache breakpoint; cache reads and writes
     * are added to it. Writes without the 5m/1h split count as 5-minute writes. Web searches
     * ({@code server_tool_use.web_search_requests}) are billed per search. Null as {@link #fromOpenAi}.
     */
    public static Usage fromAnthropic(JsonNode u) {
        if (!u.isObject()) return null;
        long writes = u.path("cache_creation_input_tokens").asLong();
        JsonNode split = u.path("cache_creation");
        long oneHour = split.path("ephemeral_1h_input_tokens").asLong();
        long fiveMin = split.has("ephemeral_5m_input_tokens") ? split.get("ephemeral_5m_input_tokens").asLong()
                : Math.max(0, writes - oneHour);
        return anthropic(u.path("input_tokens").asLong(), u.path("cache_read_input_tokens").asLong(), fiveMin, oneHour,
                u.path("output_tokens").asLong(), u.path("server_tool_use").path("web_search_requests").asLong());
    }

    private static Usage openAi(long prompt, long cached, long cacheWrites, long completion, long reasoning) {
        return anyNegative(prompt, cached, cacheWrites, completion, reasoning) ? null
                : Usage.openAi(prompt, cached, cacheWrites, completion, reasoning);
    }

    private static Usage anthropic(long input, long cacheRead, long fiveMin, long oneHour, long output, long searches) {
        return anyNegative(input, cacheRead, fiveMin, oneHour, output, searches) ? null
                : Usage.anthropic(input, cacheRead, fiveMin, oneHour, output).withWebSearchRequests(searches);
    }

    private static boolean anyNegative(long... counts) {
        for (long c : counts) {
            if (c < 0) return true;
        }
        return false;
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
