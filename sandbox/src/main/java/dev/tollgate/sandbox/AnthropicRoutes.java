package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.tokens.TokenCounter;

/** Anthropic's Messages and token-counting routes. */
final class AnthropicRoutes {

    private final AnthropicInput input;

    AnthropicRoutes(PromptCache cache) {
        this.input = new AnthropicInput(cache);
    }

    void countTokens(Call call) {
        if (!validInput(call)) return;
        AnthropicInput.Usage usage = input.count(call.body, call.counter(), false);
        call.json(Json.object().put("input_tokens", usage.total()));
    }

    void messages(Call call) {
        if (!validInput(call)) return;
        JsonNode maxTokens = call.body.get("max_tokens");
        if (maxTokens == null || !maxTokens.canConvertToInt() || maxTokens.asInt() < 1) {
            call.badRequest("max_tokens: Field required");
            return;
        }
        TokenCounter counter = call.counter();
        AnthropicInput.Usage inputUsage = input.count(call.body, counter, true);
        ToolCalls.Chosen tool = toolUse(call.body);
        String messageId = Ids.next("msg_01");
        if (tool != null) {
            String arguments = tool.argumentsJson();
            int output = counter.count(tool.name()) + counter.count(arguments);
            String toolId = Ids.next("toolu_01");
            if (call.streaming()) {
                streamToolUse(call, messageId, inputUsage, toolId, tool.name(), arguments, output);
            } else {
                ObjectNode block = Json.object().put("type", "tool_use").put("id", toolId).put("name", tool.name());
                block.set("input", tool.arguments());
                call.json(message(call, messageId, block, "tool_use", inputUsage, output));
            }
            return;
        }
        String reply = call.reply(OutputFormat.anthropic(call.body));
        int replyTokens = reply == null ? 0 : counter.count(reply);
        if (reply != null && replyTokens <= maxTokens.asInt()) {
            answer(call, messageId, inputUsage, AnswerText.reply(reply), replyTokens, "end_turn");
            return;
        }
        Call.OutputPlan plan = call.plan(maxTokens.asInt());
        answer(call, messageId, inputUsage, AnswerText.prose(call.text, plan.tokens()), plan.tokens(),
                plan.capped() ? "max_tokens" : "end_turn");
    }

    private static void answer(Call call, String messageId, AnthropicInput.Usage inputUsage, AnswerText answer,
                               int outputTokens, String stopReason) {
        if (call.streaming()) {
            streamText(call, messageId, inputUsage, answer, outputTokens, stopReason);
        } else {
            ObjectNode block = Json.object().put("type", "text").put("text", answer.text());
            call.json(message(call, messageId, block, stopReason, inputUsage, outputTokens));
        }
    }

    private static boolean validInput(Call call) {
        if (call.model().isEmpty()) {
            call.badRequest("model: Field required");
            return false;
        }
        JsonNode messages = call.body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            call.badRequest("messages: Field required");
            return false;
        }
        return true;
    }

    /** The tool to use, or null while the last user message already carries a tool result or tools are off. */
    private static ToolCalls.Chosen toolUse(JsonNode body) {
        JsonNode tools = body.get("tools");
        if (tools == null || tools.isEmpty()) return null;
        JsonNode messages = body.get("messages");
        for (JsonNode block : messages.get(messages.size() - 1).path("content")) {
            if ("tool_result".equals(block.path("type").asText())) return null;
        }
        JsonNode choice = body.path("tool_choice");
        String type = choice.path("type").asText("auto");
        if (type.equals("none")) return null;
        String named = type.equals("tool") ? choice.path("name").asText(null) : null;
        return ToolCalls.choose(tools, named, tool -> tool.path("name").asText(null), tool -> tool.get("input_schema"));
    }

    private static ObjectNode message(Call call, String id, ObjectNode block, String stopReason,
                                      AnthropicInput.Usage input, int outputTokens) {
        ObjectNode message = Json.object().put("id", id).put("type", "message").put("role", "assistant")
                .put("model", call.model());
        message.putArray("content").add(block);
        message.put("stop_reason", stopReason);
        message.putNull("stop_sequence");
        message.set("usage", usage(input, outputTokens));
        return message;
    }

    private static ObjectNode usage(AnthropicInput.Usage input, int outputTokens) {
        ObjectNode usage = Json.object()
                .put("input_tokens", input.uncached())
                .put("cache_creation_input_tokens", input.write5m() + input.write1h())
                .put("cache_read_input_tokens", input.cacheRead());
        usage.putObject("cache_creation")
                .put("ephemeral_5m_input_tokens", input.write5m())
                .put("ephemeral_1h_input_tokens", input.write1h());
        return usage.put("output_tokens", outputTokens).put("service_tier", "standard");
    }

    /** message_start: the message without content, its input-side usage, and output_tokens 1 as Anthropic sends. */
    private static String messageStart(Call call, String id, AnthropicInput.Usage input) {
        ObjectNode message = Json.object().put("id", id).put("type", "message").put("role", "assistant")
                .put("model", call.model());
        message.putArray("content");
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        message.set("usage", usage(input, 1));
        ObjectNode event = Json.object().put("type", "message_start");
        event.set("message", message);
        return Json.write(event);
    }

    private static void streamText(Call call, String id, AnthropicInput.Usage input, AnswerText answer, int tokens,
                                   String stopReason) {
        SseStream stream = call.stream()
                .event("message_start", messageStart(call, id, input))
                .event("content_block_start",
                        "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
                .event("ping", "{\"type\":\"ping\"}");
        for (int i = 0; i < answer.pieces(); i++) {
            stream.event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                    + "\"delta\":{\"type\":\"text_delta\",\"text\":" + Json.quote(answer.piece(i)) + "}}").token();
        }
        finish(stream, stopReason, tokens);
    }

    private static void streamToolUse(Call call, String id, AnthropicInput.Usage input, String toolId, String name,
                                      String arguments, int outputTokens) {
        SseStream stream = call.stream()
                .event("message_start", messageStart(call, id, input))
                .event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
                        + "{\"type\":\"tool_use\",\"id\":\"" + toolId + "\",\"name\":" + Json.quote(name)
                        + ",\"input\":{}}}")
                .event("ping", "{\"type\":\"ping\"}")
                .event("content_block_delta", inputJsonDelta(""));
        for (String fragment : ToolCalls.fragments(arguments)) {
            stream.event("content_block_delta", inputJsonDelta(fragment)).token();
        }
        finish(stream, "tool_use", outputTokens);
    }

    private static String inputJsonDelta(String fragment) {
        return "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":"
                + Json.quote(fragment) + "}}";
    }

    /** Closes the block, then message_delta with the CUMULATIVE output tokens, then message_stop. */
    private static void finish(SseStream stream, String stopReason, int outputTokens) {
        stream.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
                .event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" + stopReason
                        + "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":" + outputTokens + "}}")
                .event("message_stop", "{\"type\":\"message_stop\"}")
                .play();
    }
}
