package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Json;

/**
 * What an Anthropic message stream reports it used, read the same way by every relay of one: the input side from
 * {@code message_start}, updated when a {@code message_delta} repeats it (newer API versions do, and the later
 * figures win, web searches included), and the output tokens as the cumulative count of the latest
 * {@code message_delta} (never summed).
 */
final class AnthropicStreamUsage {

    private ObjectNode input;
    private long outputTokens = -1;

    /** {@code message_start}'s message: its input side (its {@code output_tokens} is a placeholder, never the count). */
    void start(JsonNode message) {
        long beforeStart = outputTokens;
        delta(message.path("usage"));
        outputTokens = beforeStart;
    }

    /** A {@code message_delta}'s usage. */
    void delta(JsonNode usage) {
        if (usage.hasNonNull("output_tokens")) outputTokens = usage.get("output_tokens").asLong();
        if (usage.hasNonNull("input_tokens") || usage.hasNonNull("server_tool_use")) {
            if (input == null) input = Json.object();
            usage.fields().forEachRemaining(f -> {
                if (!f.getValue().isNull()) input.set(f.getKey(), f.getValue());
            });
        }
    }

    /**
     * What the stream reported, or null when it did not give both sides or gave something that cannot be billed
     * (negative counts): the relay counts the call locally then.
     */
    Usage usage() {
        Usage in = input == null ? null : UsageFields.fromAnthropic(input);
        return in == null || outputTokens < 0 ? null : new Usage(in.inputTokens(), in.cachedInputTokens(),
                in.cacheWrite5mTokens(), in.cacheWrite1hTokens(), outputTokens, 0, in.webSearchRequests());
    }

    /**
     * What a stream whose usage is incomplete is billed (it broke off, or ended without a {@code message_delta}'s
     * count): the input side as {@code message_start} reported it (the provider bills its cache reads and writes whether
     * or not the answer arrives), and the larger of the output it reported so far and the {@code estimate} counted
     * locally; the estimate alone without a report.
     */
    Usage withEstimatedOutput(Usage estimate) {
        Usage in = input == null ? null : UsageFields.fromAnthropic(input);
        if (in == null) return estimate;
        return new Usage(in.inputTokens(), in.cachedInputTokens(), in.cacheWrite5mTokens(), in.cacheWrite1hTokens(),
                Math.max(outputTokens, estimate.outputTokens()), 0, in.webSearchRequests());
    }
}
