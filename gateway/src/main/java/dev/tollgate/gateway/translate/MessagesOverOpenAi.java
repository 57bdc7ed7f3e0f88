package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.tokens.TokenCounter;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.AsciiHeaders;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.sse.SseEvent;
import io.vertx.core.buffer.Buffer;

import java.util.HashMap;
import java.util.Map;

/**
 * An Anthropic Messages client to an OpenAI-format model: system prompt, text and image blocks, tools, tool uses
 * and results, stop sequences and sampling go over as Chat Completions; the reply, stop reason, usage and stream
 * events come back as Anthropic's. Server tools (web search, code execution) and documents are refused with 400;
 * {@code top_k} and {@code thinking} are dropped.
 */
public final class MessagesOverOpenAi implements Translation {

    public static final MessagesOverOpenAi INSTANCE = new MessagesOverOpenAi();

    @Override
    public Api upstreamApi(Api clientApi) {
        return Api.OPENAI_CHAT;
    }

    @Override
    public Buffer requestBody(Exchange exchange) {
        return Json.buffer(toChat(exchange.body(), exchange.route().model()));
    }

    static ObjectNode toChat(JsonNode in, String model) {
        ObjectNode out = Json.object();
        out.put("model", model);
        ArrayNode messages = out.putArray("messages");
        String system = ContentBlocks.plainText(in.get("system"));
        if (!system.isEmpty()) messages.addObject().put("role", "system").put("content", system);
        for (JsonNode m : in.path("messages")) {
            String role = m.path("role").asText();
            JsonNode content = m.get("content");
            if (role.equals("assistant")) {
                messages.add(assistant(content));
            } else {
                user(content, messages);
            }
        }
        if (in.has("max_tokens")) out.set(usesCompletionTokens(model) ? "max_completion_tokens" : "max_tokens", in.get("max_tokens"));
        if (in.hasNonNull("temperature")) out.set("temperature", in.get("temperature"));
        if (in.hasNonNull("top_p")) out.set("top_p", in.get("top_p"));
        if (in.path("stop_sequences").isArray() && !in.get("stop_sequences").isEmpty()) out.set("stop", in.get("stop_sequences"));
        if (in.path("metadata").hasNonNull("user_id")) out.put("user", in.get("metadata").get("user_id").asText());
        if (in.path("stream").asBoolean(false)) {
            out.put("stream", true);
            out.putObject("stream_options").put("include_usage", true);
        }
        ObjectNode responseFormat = StructuredOutput.openAiResponseFormat(in);
        if (responseFormat != null) out.set("response_format", responseFormat);
        tools(in, out);
        return out;
    }

    /**
     * OpenAI's reasoning models take {@code max_completion_tokens} (they refuse {@code max_tokens}); the rest, and most
     * compatible servers, {@code max_tokens}. A provider prefix ("openai/o3") is ignored.
     */
    public static boolean usesCompletionTokens(String model) {
        if (model == null) return false;
        String m = model.substring(model.lastIndexOf('/') + 1).toLowerCase(java.util.Locale.ROOT);
        return m.startsWith("o1") || m.startsWith("o3") || m.startsWith("o4") || m.startsWith("gpt-5");
    }

    private static ObjectNode assistant(JsonNode content) {
        ObjectNode message = Json.object().put("role", "assistant");
        if (content == null || content.isTextual()) {
            message.set("content", content);
            return message;
        }
        StringBuilder text = new StringBuilder();
        ArrayNode calls = Json.array();
        for (JsonNode block : content) {
            switch (block.path("type").asText()) {
                case "text" -> text.append(block.path("text").asText());
                case "tool_use" -> {
                    ObjectNode call = calls.addObject().put("id", block.path("id").asText()).put("type", "function");
                    call.putObject("function").put("name", block.path("name").asText()).put("arguments", Json.text(block.path("input")));
                }
                default -> { }
            }
        }
        if (text.isEmpty() && !calls.isEmpty()) message.putNull("content");
        else message.put("content", text.toString());
        if (!calls.isEmpty()) message.set("tool_calls", calls);
        return message;
    }

    /** Tool results become {@code tool} messages, placed first as OpenAI requires; the rest stays a user message. */
    private static void user(JsonNode content, ArrayNode messages) {
        if (content == null || content.isTextual()) {
            messages.addObject().put("role", "user").set("content", content);
            return;
        }
        ArrayNode rest = Json.array();
        for (JsonNode block : content) {
            if (block.path("type").asText().equals("tool_result")) {
                messages.addObject().put("role", "tool").put("tool_call_id", block.path("tool_use_id").asText())
                        .put("content", ContentBlocks.plainText(block.get("content")));
            } else {
                rest.add(block);
            }
        }
        if (!rest.isEmpty()) messages.addObject().put("role", "user").set("content", ContentBlocks.toOpenAi(rest));
    }

    private static void tools(JsonNode in, ObjectNode out) {
        JsonNode tools = in.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            ArrayNode converted = out.putArray("tools");
            int i = 0;
            for (JsonNode t : tools) {
                String type = t.path("type").asText("custom");
                if (!type.equals("custom")) {
                    throw new UntranslatableException("tools[" + i + "]", "server tool '" + type + "' cannot be sent to an OpenAI-format model");
                }
                ObjectNode fn = converted.addObject().put("type", "function").putObject("function");
                fn.put("name", t.path("name").asText());
                if (t.hasNonNull("description")) fn.put("description", t.get("description").asText());
                fn.set("parameters", t.path("input_schema"));
                i++;
            }
        }
        JsonNode choice = in.get("tool_choice");
        if (choice != null && choice.isObject() && out.has("tools")) {
            switch (choice.path("type").asText()) {
                case "any" -> out.put("tool_choice", "required");
                case "none" -> out.put("tool_choice", "none");
                case "tool" -> out.putObject("tool_choice").put("type", "function").putObject("function").put("name", choice.path("name").asText());
                default -> out.put("tool_choice", "auto");
            }
            if (choice.path("disable_parallel_tool_use").asBoolean(false)) out.put("parallel_tool_calls", false);
        }
    }

    @Override
    public void complete(Exchange exchange, Buffer body, ReplySink sink) {
        JsonNode chat = Json.tree(body);
        JsonNode choice = chat.path("choices").path(0);
        JsonNode message = choice.path("message");
        ObjectNode out = Json.object();
        out.put("id", "msg_" + chat.path("id").asText());
        out.put("type", "message");
        out.put("role", "assistant");
        out.put("model", chat.path("model").asText(exchange.route().model()));
        ArrayNode content = out.putArray("content");
        String text = message.path("content").asText("");
        if (!text.isEmpty()) content.addObject().put("type", "text").put("text", text);
        for (JsonNode call : message.path("tool_calls")) content.add(toolUse(call.path("id").asText(), call.path("function")));
        out.put("stop_reason", stopReason(choice.path("finish_reason").asText(null)));
        out.putNull("stop_sequence");
        Usage usage = sink.usageOrEstimate(UsageFields.fromOpenAi(chat.path("usage")), chat.path("model").asText(null), () -> {
            StringBuilder generated = new StringBuilder(text);
            for (JsonNode call : message.path("tool_calls")) generated.append(call.path("function").path("arguments").asText(""));
            return PromptTokens.estimate(exchange, generated);
        });
        out.set("usage", UsageFields.toAnthropic(usage));
        sink.start(200, AsciiHeaders.json());
        sink.data(Json.buffer(out));
        sink.end();
    }

    private static ObjectNode toolUse(String id, JsonNode function) {
        ObjectNode use = Json.object().put("type", "tool_use").put("id", id).put("name", function.path("name").asText());
        JsonNode input = Json.parseOrNull(function.path("arguments").asText("{}"));
        use.set("input", input != null && input.isObject() ? input : Json.object());
        return use;
    }

    static String stopReason(String finishReason) {
        if (finishReason == null) return "end_turn";
        return switch (finishReason) {
            case "length" -> "max_tokens";
            case "tool_calls", "function_call" -> "tool_use";
            case "content_filter" -> "refusal";
            default -> "end_turn";
        };
    }

    @Override
    public StreamRelay stream(Exchange exchange) {
        return new Relay(exchange);
    }

    /**
     * OpenAI chunks become Anthropic's block events. The input side of {@code message_start} is the local count
     * (OpenAI reports usage only at the end); {@code message_delta} carries the provider's figures.
     */
    private static final class Relay implements StreamRelay {
        private final Exchange exchange;
        private final StreamAccounting accounting;
        private final Map<Integer, Integer> blockByToolIndex = new HashMap<>();
        private int blocks;
        private int openBlock = -1;
        private boolean openIsText;
        private boolean started;
        private String finishReason;
        private Usage usage;
        private String model;

        Relay(Exchange exchange) {
            this.exchange = exchange;
            this.accounting = new StreamAccounting(exchange);
            this.model = exchange.route().model();
        }

        @Override
        public void event(SseEvent event, ReplySink sink) {
            String data = event.data();
            if (data == null) return;
            if (data.equals("[DONE]")) {
                complete(sink, true);
                return;
            }
            JsonNode chunk = Json.tree(data);
            if (chunk.has("error")) {
                ObjectNode error = Json.object().put("type", "error");
                error.putObject("error").put("type", "api_error").put("message", chunk.path("error").path("message").asText("provider error"));
                sink.data(SseEvent.event("error", Json.text(error)));
                return;
            }
            model = chunk.path("model").asText(model);
            start(chunk, sink);
            if (chunk.path("usage").isObject()) usage = UsageFields.fromOpenAi(chunk.get("usage")); // null: counted locally
            for (JsonNode choice : chunk.path("choices")) {
                JsonNode delta = choice.path("delta");
                String text = delta.path("content").asText("");
                if (!text.isEmpty()) {
                    accounting.remember(data);
                    if (openBlock < 0 || !openIsText) open(sink, Json.object().put("type", "text").put("text", ""), true);
                    ObjectNode d = Json.object().put("type", "text_delta").put("text", text);
                    sink.data(blockEvent("content_block_delta", openBlock, "delta", d));
                }
                for (JsonNode call : delta.path("tool_calls")) {
                    accounting.remember(data);
                    int toolIndex = call.path("index").asInt();
                    Integer block = blockByToolIndex.get(toolIndex);
                    if (block == null) {
                        ObjectNode use = Json.object().put("type", "tool_use").put("id", call.path("id").asText())
                                .put("name", call.path("function").path("name").asText());
                        use.putObject("input");
                        open(sink, use, false);
                        blockByToolIndex.put(toolIndex, openBlock);
                    }
                    String args = call.path("function").path("arguments").asText("");
                    if (!args.isEmpty()) {
                        ObjectNode d = Json.object().put("type", "input_json_delta").put("partial_json", args);
                        sink.data(blockEvent("content_block_delta", blockByToolIndex.get(toolIndex), "delta", d));
                    }
                }
                if (choice.hasNonNull("finish_reason")) finishReason = choice.get("finish_reason").asText();
            }
        }

        private void start(JsonNode chunk, ReplySink sink) {
            if (started) return;
            started = true;
            TokenCounter counter = TokenCounter.forModel(exchange.route().model());
            long prompt = PromptTokens.count(exchange.api(), exchange.body(), counter);
            ObjectNode message = Json.object();
            message.put("id", "msg_" + chunk.path("id").asText()).put("type", "message").put("role", "assistant").put("model", model);
            message.putArray("content");
            message.putNull("stop_reason").putNull("stop_sequence");
            message.putObject("usage").put("input_tokens", prompt).put("output_tokens", 1);
            ObjectNode start = Json.object().put("type", "message_start");
            start.set("message", message);
            sink.data(SseEvent.event("message_start", Json.text(start)));
        }

        private void open(ReplySink sink, ObjectNode block, boolean text) {
            close(sink);
            openBlock = blocks++;
            openIsText = text;
            sink.data(blockEvent("content_block_start", openBlock, "content_block", block));
        }

        private void close(ReplySink sink) {
            if (openBlock < 0) return;
            sink.data(blockEvent("content_block_stop", openBlock, null, null));
            openBlock = -1;
        }

        private static Buffer blockEvent(String type, int index, String field, JsonNode value) {
            ObjectNode event = Json.object().put("type", type).put("index", index);
            if (field != null) event.set(field, value);
            return SseEvent.event(type, Json.text(event));
        }

        private boolean completed;

        /**
         * Ends the message once: at {@code [DONE]}, or when the provider closes a stream that reported its usage. A
         * stream without usage the gateway can bill (a compatible server that ignores {@code stream_options}) is
         * counted locally.
         */
        private void complete(ReplySink sink, boolean done) {
            if (completed || (usage == null && !done)) return;
            completed = true;
            close(sink);
            Usage billed = sink.usageOrEstimate(usage, model, () -> accounting.estimate(Relay::generatedText));
            ObjectNode delta = Json.object().put("type", "message_delta");
            delta.putObject("delta").put("stop_reason", stopReason(finishReason)).putNull("stop_sequence");
            delta.set("usage", UsageFields.toAnthropic(billed));
            sink.data(SseEvent.event("message_delta", Json.text(delta)));
            sink.data(SseEvent.event("message_stop", "{\"type\":\"message_stop\"}"));
        }

        @Override
        public void finish(ReplySink sink, Throwable cause) {
            if (cause == null) complete(sink, false);
            accounting.finish(sink, cause, completed, completed, Relay::generatedText);
        }

        private static void generatedText(String data, StringBuilder out) {
            for (JsonNode choice : Json.tree(data).path("choices")) {
                JsonNode delta = choice.path("delta");
                out.append(delta.path("content").asText(""));
                for (JsonNode call : delta.path("tool_calls")) out.append(call.path("function").path("arguments").asText(""));
            }
        }
    }
}
