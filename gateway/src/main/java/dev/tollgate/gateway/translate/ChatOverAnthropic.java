package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.AsciiHeaders;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.sse.SseEvent;
import io.vertx.core.buffer.Buffer;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * An OpenAI Chat Completions client to an Anthropic model: messages, system prompt, images, tools and tool
 * results, stop sequences and sampling go over; the reply, its stop reason, usage and stream events come back as
 * OpenAI's. Fields with no Anthropic equivalent that change what the client gets (n &gt; 1, logprobs,
 * response_format, audio) are refused with 400; tuning fields without one (seed, penalties, logit_bias) are dropped.
 */
public final class ChatOverAnthropic implements Translation {

    private final int defaultMaxTokens;

    public ChatOverAnthropic(int defaultMaxTokens) {
        this.defaultMaxTokens = defaultMaxTokens;
    }

    @Override
    public Api upstreamApi(Api clientApi) {
        return Api.ANTHROPIC_MESSAGES;
    }

    @Override
    public Buffer requestBody(Exchange exchange) {
        return Json.buffer(toMessages(exchange.body(), exchange.route().model(), defaultMaxTokens));
    }

    static ObjectNode toMessages(JsonNode in, String model, int defaultMaxTokens) {
        refuse(in.path("n").asInt(1) > 1, "n", "n > 1 is not supported by Anthropic models");
        refuse(in.path("logprobs").asBoolean(false), "logprobs", "logprobs are not available from Anthropic models");
        refuse(in.has("audio") || in.path("modalities").toString().contains("audio"), "audio", "audio output is not available from Anthropic models");
        String format = in.path("response_format").path("type").asText("text");
        refuse(!format.equals("text") && !format.equals("json_schema"), "response_format", "response_format '" + format
                + "' is not available from Anthropic models; use 'json_schema', describe the format in the prompt or use a tool");

        ObjectNode out = Json.object();
        out.put("model", model);
        StringBuilder system = new StringBuilder();
        ArrayNode messages = out.putArray("messages");
        for (JsonNode m : in.path("messages")) {
            String role = m.path("role").asText();
            switch (role) {
                case "system", "developer" -> {
                    if (!system.isEmpty()) system.append("\n\n");
                    system.append(ContentBlocks.plainText(m.get("content")));
                }
                case "user" -> append(messages, "user", ContentBlocks.toAnthropic(m.get("content")));
                case "assistant" -> append(messages, "assistant", assistantBlocks(m));
                case "tool" -> {
                    ObjectNode result = Json.object().put("type", "tool_result").put("tool_use_id", m.path("tool_call_id").asText());
                    result.put("content", ContentBlocks.plainText(m.get("content")));
                    append(messages, "user", Json.array().add(result));
                }
                default -> throw new UntranslatableException("messages", "message role '" + role + "' cannot be sent to an Anthropic model");
            }
        }
        if (!system.isEmpty()) out.put("system", system.toString());
        JsonNode maxTokens = in.hasNonNull("max_completion_tokens") ? in.get("max_completion_tokens") : in.get("max_tokens");
        out.put("max_tokens", maxTokens != null && maxTokens.canConvertToInt() ? maxTokens.asInt() : defaultMaxTokens);
        if (in.hasNonNull("temperature")) out.put("temperature", in.get("temperature").decimalValue().min(BigDecimal.ONE));
        if (in.hasNonNull("top_p")) out.set("top_p", in.get("top_p"));
        JsonNode stop = in.get("stop");
        if (stop != null && !stop.isNull()) out.set("stop_sequences", stop.isArray() ? stop : Json.array().add(stop.asText()));
        if (in.path("stream").asBoolean(false)) out.put("stream", true);
        if (in.hasNonNull("user")) out.putObject("metadata").put("user_id", in.get("user").asText());
        tools(in, out);
        if (format.equals("json_schema")) {
            out.set("output_config", StructuredOutput.anthropicOutputConfig(in.path("response_format").path("json_schema").path("schema")));
        }
        return out;
    }

    private static ArrayNode assistantBlocks(JsonNode m) {
        ArrayNode blocks = ContentBlocks.toAnthropic(m.get("content"));
        for (JsonNode call : m.path("tool_calls")) {
            JsonNode fn = call.path("function");
            ObjectNode use = blocks.addObject().put("type", "tool_use").put("id", call.path("id").asText()).put("name", fn.path("name").asText());
            JsonNode args = Json.parseOrNull(fn.path("arguments").asText("{}"));
            use.set("input", args != null && args.isObject() ? args : Json.object());
        }
        return blocks;
    }

    /** Anthropic wants alternating roles: consecutive messages of one role (tool results, say) become one. */
    static void append(ArrayNode messages, String role, ArrayNode blocks) {
        if (blocks.isEmpty()) return;
        JsonNode last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
        if (last != null && last.path("role").asText().equals(role)) {
            ((ArrayNode) last.get("content")).addAll(blocks);
        } else {
            messages.addObject().put("role", role).set("content", blocks);
        }
    }

    private static void tools(JsonNode in, ObjectNode out) {
        JsonNode tools = in.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            ArrayNode converted = out.putArray("tools");
            int i = 0;
            for (JsonNode t : tools) {
                refuse(!t.path("type").asText("function").equals("function"), "tools[" + i + "].type",
                        "tool type '" + t.path("type").asText() + "' cannot be sent to an Anthropic model");
                addTool(converted, t.path("function"));
                i++;
            }
        }
        JsonNode choice = in.get("tool_choice");
        toolChoice(in, out, choice != null && choice.isObject() ? choice.path("function").path("name").asText() : null);
    }

    /** An OpenAI function definition ({@code name, description, parameters}) as an Anthropic tool. */
    static void addTool(ArrayNode tools, JsonNode function) {
        ObjectNode tool = tools.addObject().put("name", function.path("name").asText());
        if (function.hasNonNull("description")) tool.put("description", function.get("description").asText());
        tool.set("input_schema", function.path("parameters").isObject() ? function.get("parameters")
                : Json.object().put("type", "object").set("properties", Json.object()));
    }

    /**
     * OpenAI's {@code tool_choice} ("none", "auto", "required", or the {@code named} function) and
     * {@code parallel_tool_calls: false} as Anthropic's {@code tool_choice}; shared by Chat and Responses clients.
     */
    static void toolChoice(JsonNode in, ObjectNode out, String named) {
        JsonNode choice = in.get("tool_choice");
        ObjectNode toolChoice = null;
        if (named != null) {
            toolChoice = Json.object().put("type", "tool").put("name", named);
        } else if (choice != null && choice.isTextual()) {
            toolChoice = Json.object().put("type", switch (choice.asText()) {
                case "none" -> "none";
                case "required" -> "any";
                default -> "auto";
            });
        }
        if (!in.path("parallel_tool_calls").asBoolean(true) && out.has("tools")) {
            if (toolChoice == null) toolChoice = Json.object().put("type", "auto");
            toolChoice.put("disable_parallel_tool_use", true);
        }
        if (toolChoice != null && (out.has("tools") || "none".equals(toolChoice.path("type").asText()))) out.set("tool_choice", toolChoice);
    }

    private static void refuse(boolean condition, String param, String message) {
        if (condition) throw new UntranslatableException(param, message);
    }

    @Override
    public void complete(Exchange exchange, Buffer body, ReplySink sink) {
        JsonNode msg = Json.tree(body);
        ObjectNode out = Json.object();
        out.put("id", "chatcmpl-" + msg.path("id").asText());
        out.put("object", "chat.completion");
        out.put("created", Instant.now().getEpochSecond());
        out.put("model", msg.path("model").asText(exchange.route().model()));
        ObjectNode choice = out.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        StringBuilder text = new StringBuilder();
        ArrayNode toolCalls = Json.array();
        for (JsonNode block : msg.path("content")) {
            switch (block.path("type").asText()) {
                case "text" -> text.append(block.path("text").asText());
                case "tool_use" -> {
                    ObjectNode call = toolCalls.addObject().put("id", block.path("id").asText()).put("type", "function");
                    call.putObject("function").put("name", block.path("name").asText()).put("arguments", Json.text(block.path("input")));
                }
                default -> { }
            }
        }
        if (text.isEmpty() && !toolCalls.isEmpty()) message.putNull("content");
        else message.put("content", text.toString());
        message.putNull("refusal");
        if (!toolCalls.isEmpty()) message.set("tool_calls", toolCalls);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(msg.path("stop_reason").asText(null)));
        Usage usage = sink.usageOrEstimate(UsageFields.fromAnthropic(msg.path("usage")), msg.path("model").asText(null),
                () -> PromptTokens.estimate(exchange, generatedText(msg)));
        out.set("usage", UsageFields.toOpenAiChat(usage));
        sink.start(200, AsciiHeaders.json());
        sink.data(Json.buffer(out));
        sink.end();
    }

    /** The text and tool inputs of an Anthropic message, for counting its output locally. */
    static String generatedText(JsonNode message) {
        StringBuilder text = new StringBuilder();
        for (JsonNode block : message.path("content")) {
            text.append(block.path("text").asText("")).append(block.has("input") ? block.get("input").toString() : "");
        }
        return text.toString();
    }

    static String finishReason(String stopReason) {
        if (stopReason == null) return null;
        return switch (stopReason) {
            case "max_tokens", "model_context_window_exceeded" -> "length";
            case "tool_use" -> "tool_calls";
            case "refusal" -> "content_filter";
            default -> "stop";
        };
    }

    @Override
    public StreamRelay stream(Exchange exchange) {
        return new Relay(exchange);
    }

    /** Anthropic's typed events become OpenAI chunks; usage follows the finish chunk when the client asked. */
    private static final class Relay implements StreamRelay {
        private final Exchange exchange;
        private final StreamAccounting accounting;
        private final Map<Integer, Integer> toolIndexByBlock = new HashMap<>();
        private final long created = Instant.now().getEpochSecond();
        private String id = "chatcmpl-tollgate";
        private String model;
        private final AnthropicStreamUsage reported = new AnthropicStreamUsage();
        private String stopReason;
        private boolean usageReported;

        Relay(Exchange exchange) {
            this.exchange = exchange;
            this.accounting = new StreamAccounting(exchange, reported);
            this.model = exchange.route().model();
        }

        @Override
        public void event(SseEvent event, ReplySink sink) {
            if (event.data() == null) return;
            JsonNode data = Json.tree(event.data());
            String type = event.event() != null ? event.event() : data.path("type").asText();
            switch (type) {
                case "message_start" -> {
                    JsonNode message = data.path("message");
                    id = "chatcmpl-" + message.path("id").asText();
                    model = message.path("model").asText(model);
                    reported.start(message);
                    ObjectNode delta = Json.object().put("role", "assistant").put("content", "");
                    sink.data(chunk(delta, null));
                }
                case "content_block_start" -> {
                    JsonNode block = data.path("content_block");
                    if (block.path("type").asText().equals("tool_use")) {
                        int toolIndex = toolIndexByBlock.size();
                        toolIndexByBlock.put(data.path("index").asInt(), toolIndex);
                        ObjectNode call = Json.object().put("index", toolIndex).put("id", block.path("id").asText()).put("type", "function");
                        call.putObject("function").put("name", block.path("name").asText()).put("arguments", "");
                        sink.data(chunk(Json.object().set("tool_calls", Json.array().add(call)), null));
                    }
                }
                case "content_block_delta" -> {
                    accounting.remember(event.data());
                    JsonNode delta = data.path("delta");
                    switch (delta.path("type").asText()) {
                        case "text_delta" -> sink.data(chunk(Json.object().put("content", delta.path("text").asText()), null));
                        case "input_json_delta" -> {
                            Integer toolIndex = toolIndexByBlock.get(data.path("index").asInt());
                            if (toolIndex != null) {
                                ObjectNode call = Json.object().put("index", toolIndex);
                                call.putObject("function").put("arguments", delta.path("partial_json").asText());
                                sink.data(chunk(Json.object().set("tool_calls", Json.array().add(call)), null));
                            }
                        }
                        default -> { }
                    }
                }
                case "message_delta" -> {
                    stopReason = data.path("delta").path("stop_reason").asText(stopReason);
                    reported.delta(data.path("usage"));
                }
                case "message_stop" -> {
                    sink.data(chunk(Json.object(), finishReason(stopReason)));
                    Usage usage = sink.usageOrEstimate(reported.usage(), model, () -> accounting.estimateWithReported(Relay::generatedText));
                    usageReported = true;
                    if (exchange.streamUsageRequested()) {
                        ObjectNode last = header();
                        last.putArray("choices");
                        last.set("usage", UsageFields.toOpenAiChat(usage));
                        sink.data(SseEvent.data(Json.text(last)));
                    }
                    sink.data(SseEvent.data("[DONE]"));
                }
                case "error" -> {
                    ObjectNode error = Json.object();
                    error.putObject("error").put("message", data.path("error").path("message").asText("provider error"))
                            .put("type", data.path("error").path("type").asText("api_error"));
                    sink.data(SseEvent.data(Json.text(error)));
                }
                default -> { }
            }
        }

        private ObjectNode header() {
            ObjectNode chunk = Json.object();
            chunk.put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
            return chunk;
        }

        private Buffer chunk(ObjectNode delta, String finishReason) {
            ObjectNode chunk = header();
            ObjectNode choice = chunk.putArray("choices").addObject();
            choice.put("index", 0);
            choice.set("delta", delta);
            choice.putNull("logprobs");
            choice.put("finish_reason", finishReason);
            return SseEvent.data(Json.text(chunk));
        }

        @Override
        public void finish(ReplySink sink, Throwable cause) {
            accounting.finish(sink, cause, usageReported, usageReported, Relay::generatedText);
        }

        private static void generatedText(String data, StringBuilder out) {
            JsonNode delta = Json.tree(data).path("delta");
            out.append(delta.path("text").asText("")).append(delta.path("partial_json").asText(""));
        }
    }
}
