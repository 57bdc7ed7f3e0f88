package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;

/**
 * What an Anthropic message stream reports it used, read the same way by every relay of one: the input side from
 * {@code message_start}, updated when a {@code message_delta} repeats it (newer API versions do, and the later
 * figures win), and the output tokens as the cumulative count of the latest {@code message_delta} (never summed).
 */
final class AnthropicStreamUsage {

    private ObjectNode input;
    private long outputTokens;

    /** {@code message_start}'s message. */
    void start(JsonNode message) {
        JsonNode usage = message.path("usage");
        input = usage.isObject() ? ((ObjectNode) usage).deepCopy() : UsageFields.toAnthropic(Usage.ZERO);
        outputTokens = usage.path("output_tokens").asLong();
    }

    /** A {@code message_delta}'s usage. */
    void delta(JsonNode usage) {
        if (usage.has("output_tokens")) outputTokens = usage.get("output_tokens").asLong();
        if (input != null && usage.hasNonNull("input_tokens")) {
            usage.fields().forEachRemaining(f -> {
                if (!f.getValue().isNull()) input.set(f.getKey(), f.getValue());
            });
        }
    }

    /** Whether the stream has said anything about its input yet. */
    boolean started() {
        return input != null;
    }

    Usage usage() {
        Usage in = UsageFields.fromAnthropic(input == null ? UsageFields.toAnthropic(Usage.ZERO) : input);
        return new Usage(in.inputTokens(), in.cachedInputTokens(), in.cacheWrite5mTokens(), in.cacheWrite1hTokens(),
                outputTokens, 0);
    }
}
