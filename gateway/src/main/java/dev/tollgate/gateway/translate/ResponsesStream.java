package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.sse.SseEvent;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Anthropic's message stream as the Responses API's typed events: each text block becomes a message item, each
 * tool_use block a function_call item, with their added/delta/done events numbered by {@code sequence_number}, and
 * the stream ends in {@code response.completed} (or {@code response.incomplete}) carrying the usage.
 */
final class ResponsesStream implements Translation.StreamRelay {

    private final Exchange exchange;
    private final StreamAccounting accounting;
    private final long createdAt = Instant.now().getEpochSecond();
    private final ArrayNode output = Json.array();
    private final Map<Integer, Item> open = new HashMap<>();
    private int sequence;
    private String messageId = "msg_tollgate";
    private String model;
    private final AnthropicStreamUsage reported = new AnthropicStreamUsage();
    private String stopReason;
    private boolean usageReported;

    /** An output item being streamed: a message (text) or a function_call (arguments), and where it goes. */
    private record Item(String id, int outputIndex, String callId, String name, StringBuilder content) {
        boolean isCall() {
            return callId != null;
        }
    }

    ResponsesStream(Exchange exchange) {
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
                messageId = message.path("id").asText(messageId);
                model = message.path("model").asText(model);
                reported.start(message);
                ObjectNode snapshot = response("in_progress", null, Json.array(), null);
                send(sink, "response.created", Json.object().set("response", snapshot));
                send(sink, "response.in_progress", Json.object().set("response", snapshot));
            }
            case "content_block_start" -> start(data.path("index").asInt(), data.path("content_block"), sink);
            case "content_block_delta" -> {
                accounting.remember(event.data());
                delta(open.get(data.path("index").asInt()), data.path("delta"), sink);
            }
            case "content_block_stop" -> stop(open.remove(data.path("index").asInt()), sink);
            case "message_delta" -> {
                stopReason = data.path("delta").path("stop_reason").asText(stopReason);
                reported.delta(data.path("usage"));
            }
            case "message_stop" -> {
                Usage usage = sink.usageOrEstimate(reported.usage(), model, () -> accounting.estimateWithReported(ResponsesStream::generatedText));
                usageReported = true;
                String status = ResponseObjects.status(stopReason);
                ObjectNode done = response(status, ResponseObjects.incompleteReason(stopReason), output, usage);
                send(sink, status.equals("completed") ? "response.completed" : "response.incomplete", Json.object().set("response", done));
            }
            case "error" -> {
                JsonNode error = data.path("error");
                send(sink, "error", Json.object().put("code", error.path("type").asText("api_error"))
                        .put("message", error.path("message").asText("provider error")).putNull("param"));
            }
            default -> { }
        }
    }

    private void start(int index, JsonNode block, ReplySink sink) {
        int outputIndex = output.size() + open.size();
        switch (block.path("type").asText()) {
            case "text" -> {
                Item item = new Item(ResponseObjects.messageId(messageId, index), outputIndex, null, null, new StringBuilder());
                open.put(index, item);
                ObjectNode added = ResponseObjects.message(item.id(), "in_progress", null);
                send(sink, "response.output_item.added", Json.object().put("output_index", outputIndex).set("item", added));
                send(sink, "response.content_part.added", part(item).set("part", ResponseObjects.outputText("")));
            }
            case "tool_use" -> {
                String callId = block.path("id").asText();
                Item item = new Item(ResponseObjects.functionCallId(callId), outputIndex, callId, block.path("name").asText(), new StringBuilder());
                open.put(index, item);
                ObjectNode added = ResponseObjects.functionCall(item.id(), "in_progress", callId, item.name(), "");
                send(sink, "response.output_item.added", Json.object().put("output_index", outputIndex).set("item", added));
            }
            default -> { }  // thinking blocks are not asked for, and have no output item here
        }
    }

    private void delta(Item item, JsonNode delta, ReplySink sink) {
        if (item == null) return;
        String piece = item.isCall() ? delta.path("partial_json").asText("") : delta.path("text").asText("");
        item.content().append(piece);
        if (item.isCall()) {
            send(sink, "response.function_call_arguments.delta", Json.object().put("item_id", item.id())
                    .put("output_index", item.outputIndex()).put("delta", piece));
        } else {
            send(sink, "response.output_text.delta", part(item).put("delta", piece).set("logprobs", Json.array()));
        }
    }

    private void stop(Item item, ReplySink sink) {
        if (item == null) return;
        ObjectNode done;
        if (item.isCall()) {
            String arguments = item.content().isEmpty() ? "{}" : item.content().toString();
            send(sink, "response.function_call_arguments.done", Json.object().put("item_id", item.id())
                    .put("output_index", item.outputIndex()).put("name", item.name()).put("arguments", arguments));
            done = ResponseObjects.functionCall(item.id(), "completed", item.callId(), item.name(), arguments);
        } else {
            String text = item.content().toString();
            send(sink, "response.output_text.done", part(item).put("text", text).set("logprobs", Json.array()));
            send(sink, "response.content_part.done", part(item).set("part", ResponseObjects.outputText(text)));
            done = ResponseObjects.message(item.id(), "completed", text);
        }
        send(sink, "response.output_item.done", Json.object().put("output_index", item.outputIndex()).set("item", done));
        output.add(done);
    }

    private static ObjectNode part(Item item) {
        return Json.object().put("item_id", item.id()).put("output_index", item.outputIndex()).put("content_index", 0);
    }

    private ObjectNode response(String status, String incompleteReason, ArrayNode items, Usage usage) {
        return ResponseObjects.response(exchange.body(), "resp_" + messageId, createdAt, model, status, incompleteReason, items, usage);
    }

    /** One typed event: the type both as the SSE event name and in the data, then the next sequence number. */
    private void send(ReplySink sink, String type, ObjectNode fields) {
        ObjectNode event = Json.object().put("type", type).put("sequence_number", sequence++);
        event.setAll(fields);
        sink.data(SseEvent.event(type, Json.text(event)));
    }

    @Override
    public void finish(ReplySink sink, Throwable cause) {
        accounting.finish(sink, cause, usageReported, usageReported, ResponsesStream::generatedText);
    }

    private static void generatedText(String data, StringBuilder out) {
        JsonNode delta = Json.tree(data).path("delta");
        out.append(delta.path("text").asText("")).append(delta.path("partial_json").asText(""));
    }
}
