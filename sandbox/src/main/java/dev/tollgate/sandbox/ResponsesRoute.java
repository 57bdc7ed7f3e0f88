package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.tokens.TokenCounter;

/**
 * OpenAI's Responses API: a message with one output_text part, or a function_call item while the input holds no
 * function_call_output yet. Streams are typed events, each with its {@code sequence_number}, ending in
 * {@code response.completed} (or {@code response.incomplete} when max_output_tokens cut the answer) with the usage.
 * Reasoning models report reasoning tokens in the usage but no reasoning output item.
 */
final class ResponsesRoute {

    private static final int TOKENS_PER_ITEM = 3;
    private static final int REPLY_PRIMING = 3;

    private final PromptCache cache;

    ResponsesRoute(PromptCache cache) {
        this.cache = cache;
    }

    void responses(Call call) {
        JsonNode body = call.body;
        if (call.model().isEmpty()) {
            call.badRequest("Missing required parameter: 'model'.");
            return;
        }
        JsonNode input = body.get("input");
        if (input == null || !(input.isTextual() || input.isArray())) {
            call.badRequest("Missing required parameter: 'input'.");
            return;
        }
        TokenCounter counter = call.counter();
        int inputTokens = inputTokens(body, counter);
        String id = Ids.next("resp_");
        long createdAt = System.currentTimeMillis() / 1000;
        ToolCalls.Chosen tool = functionCall(body);
        if (tool != null) {
            String arguments = tool.argumentsJson();
            int output = counter.count(tool.name()) + counter.count(arguments);
            ObjectNode usage = usage(inputTokens, cachedTokens(body, counter, inputTokens), output, 0);
            ObjectNode item = Json.object().put("id", Ids.next("fc_")).put("type", "function_call")
                    .put("status", "completed").put("arguments", arguments).put("call_id", Ids.next("call_"))
                    .put("name", tool.name());
            if (call.streaming()) streamFunctionCall(call, id, createdAt, item, usage);
            else call.json(response(call, id, createdAt, "completed", item, usage));
            return;
        }
        int cap = Json.intOr(body, "max_output_tokens", -1);
        String reply = call.reply(OutputFormat.responses(body));
        int replyTokens = reply == null ? 0 : counter.count(reply);
        if (reply != null && (cap < 0 || replyTokens <= cap)) {
            ObjectNode usage = usage(inputTokens, cachedTokens(body, counter, inputTokens), replyTokens, 0);
            answer(call, id, createdAt, AnswerText.reply(reply), "completed", usage);
            return;
        }
        Call.OutputPlan plan = call.plan(cap);
        int reasoning = Reasoning.tokens(call.config, call.model(), plan.tokens());
        int visible = plan.tokens() - reasoning;
        ObjectNode usage = usage(inputTokens, cachedTokens(body, counter, inputTokens), plan.tokens(), reasoning);
        answer(call, id, createdAt, AnswerText.prose(call.text, visible), plan.capped() ? "incomplete" : "completed", usage);
    }

    private void answer(Call call, String id, long createdAt, AnswerText answer, String status, ObjectNode usage) {
        String messageId = Ids.next("msg_");
        if (call.streaming()) {
            streamMessage(call, id, createdAt, messageId, answer, status, usage);
        } else {
            call.json(response(call, id, createdAt, status, message(messageId, answer.text(), status), usage));
        }
    }

    /** Instructions and each input item as a chat message would count, plus the tools' JSON and the reply priming. */
    private static int inputTokens(JsonNode body, TokenCounter counter) {
        int total = REPLY_PRIMING;
        JsonNode instructions = body.get("instructions");
        if (instructions != null && instructions.isTextual()) total += TOKENS_PER_ITEM + counter.count(instructions.asText());
        JsonNode input = body.get("input");
        if (input.isTextual()) return total + TOKENS_PER_ITEM + counter.count(input.asText()) + toolTokens(body, counter);
        for (JsonNode item : input) total += itemTokens(item, counter);
        return total + toolTokens(body, counter);
    }

    private static int itemTokens(JsonNode item, TokenCounter counter) {
        return switch (item.path("type").asText("message")) {
            case "function_call" -> counter.count(item.path("name").asText()) + counter.count(item.path("arguments").asText());
            case "function_call_output" -> counter.count(item.path("output").asText());
            case "message" -> TOKENS_PER_ITEM + counter.countContent(item.get("content"));
            default -> 0;
        };
    }

    private static int toolTokens(JsonNode body, TokenCounter counter) {
        JsonNode tools = body.get("tools");
        return tools == null ? 0 : counter.count(tools.toString());
    }

    /** OpenAI's automatic caching over tools, instructions and input items as growing prefixes (see PromptCache). */
    private int cachedTokens(JsonNode body, TokenCounter counter, int inputTokens) {
        if (inputTokens < PromptCache.OPENAI_MIN_TOKENS) return 0;
        JsonNode input = body.get("input");
        int n = input.isArray() ? input.size() : 1;
        long[] hashes = new long[n];
        int[] tokens = new int[n];
        long hash = PromptCache.extend(PromptCache.extend(0, body.path("tools").toString()),
                body.path("instructions").asText());
        int total = inputTokens - REPLY_PRIMING;
        if (input.isArray()) {
            for (JsonNode item : input) total -= itemTokens(item, counter);
            for (int i = 0; i < n; i++) {
                total += itemTokens(input.get(i), counter);
                hash = PromptCache.extend(hash, input.get(i).toString());
                hashes[i] = hash;
                tokens[i] = total;
            }
        } else {
            hashes[0] = PromptCache.extend(hash, input.asText());
            tokens[0] = total;
        }
        return cache.openAiCachedTokens(hashes, tokens, n);
    }

    /** A function_call item unless the input already answers one, tools are off, or none is a function. */
    private static ToolCalls.Chosen functionCall(JsonNode body) {
        JsonNode tools = body.get("tools");
        if (tools == null || tools.isEmpty()) return null;
        for (JsonNode item : body.get("input")) {
            if ("function_call_output".equals(item.path("type").asText())) return null;
        }
        JsonNode choice = body.path("tool_choice");
        if ("none".equals(choice.asText())) return null;
        String named = choice.isObject() ? choice.path("name").asText(null) : null;
        return ToolCalls.choose(tools, named,
                tool -> "function".equals(tool.path("type").asText()) ? tool.path("name").asText(null) : null,
                tool -> tool.get("parameters"));
    }

    private static ObjectNode usage(int input, int cached, int output, int reasoning) {
        ObjectNode usage = Json.object().put("input_tokens", input);
        usage.putObject("input_tokens_details").put("cached_tokens", cached);
        usage.put("output_tokens", output);
        usage.putObject("output_tokens_details").put("reasoning_tokens", reasoning);
        return usage.put("total_tokens", input + output);
    }

    private static ObjectNode message(String id, String text, String status) {
        ObjectNode message = Json.object().put("id", id).put("type", "message").put("status", status)
                .put("role", "assistant");
        message.putArray("content").add(outputText(text));
        return message;
    }

    private static ObjectNode outputText(String text) {
        ObjectNode part = Json.object().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        part.putArray("logprobs");
        return part;
    }

    /** The response object; {@code item} null gives an empty output (the in-progress snapshot). */
    private static ObjectNode response(Call call, String id, long createdAt, String status, ObjectNode item,
                                       ObjectNode usage) {
        JsonNode body = call.body;
        ObjectNode response = Json.object().put("id", id).put("object", "response").put("created_at", createdAt)
                .put("status", status).put("background", false);
        response.putNull("error");
        if (status.equals("incomplete")) response.putObject("incomplete_details").put("reason", "max_output_tokens");
        else response.putNull("incomplete_details");
        response.set("instructions", body.path("instructions").isTextual() ? body.get("instructions") : null);
        response.set("max_output_tokens", body.get("max_output_tokens"));
        response.put("model", call.model());
        ArrayNode output = response.putArray("output");
        if (item != null) output.add(item);
        response.put("parallel_tool_calls", true);
        response.putNull("previous_response_id");
        response.putObject("reasoning").putNull("effort").putNull("summary");
        response.put("store", body.path("store").asBoolean(true)).put("temperature", 1.0);
        if (body.path("text").path("format").isObject()) response.putObject("text").set("format", body.get("text").get("format"));
        else response.putObject("text").putObject("format").put("type", "text");
        response.set("tool_choice", body.has("tool_choice") ? body.get("tool_choice") : Json.MAPPER.getNodeFactory().textNode("auto"));
        response.set("tools", body.has("tools") ? body.get("tools") : Json.MAPPER.createArrayNode());
        response.put("top_p", 1.0).put("truncation", "disabled");
        response.set("usage", usage);
        response.putNull("user");
        response.putObject("metadata");
        return response;
    }

    private void streamMessage(Call call, String id, long createdAt, String messageId, AnswerText answer, String status,
                               ObjectNode usage) {
        Events events = new Events(call);
        events.started(id, createdAt);
        ObjectNode item = message(messageId, "", "in_progress");
        ((ArrayNode) item.get("content")).removeAll();
        events.add("response.output_item.added", Json.object().put("output_index", 0).set("item", item));
        events.add("response.content_part.added", part(messageId).set("part", outputText("")));
        String deltaHead = "{\"type\":\"response.output_text.delta\",\"item_id\":\"" + messageId
                + "\",\"output_index\":0,\"content_index\":0,\"logprobs\":[],\"sequence_number\":";
        for (int i = 0; i < answer.pieces(); i++) {
            events.stream.event("response.output_text.delta",
                    deltaHead + events.sequence++ + ",\"delta\":" + Json.quote(answer.piece(i)) + "}").token();
        }
        String text = answer.text();
        events.add("response.output_text.done", part(messageId).put("text", text).set("logprobs", Json.MAPPER.createArrayNode()));
        events.add("response.content_part.done", part(messageId).set("part", outputText(text)));
        ObjectNode done = message(messageId, text, status);
        events.add("response.output_item.done", Json.object().put("output_index", 0).set("item", done));
        events.finished(response(call, id, createdAt, status, done, usage));
    }

    private void streamFunctionCall(Call call, String id, long createdAt, ObjectNode item, ObjectNode usage) {
        Events events = new Events(call);
        events.started(id, createdAt);
        String itemId = item.get("id").asText();
        String arguments = item.get("arguments").asText();
        ObjectNode added = item.deepCopy().put("status", "in_progress").put("arguments", "");
        events.add("response.output_item.added", Json.object().put("output_index", 0).set("item", added));
        for (String fragment : ToolCalls.fragments(arguments)) {
            events.add("response.function_call_arguments.delta",
                    Json.object().put("item_id", itemId).put("output_index", 0).put("delta", fragment));
            events.stream.token();
        }
        events.add("response.function_call_arguments.done", Json.object().put("item_id", itemId)
                .put("output_index", 0).put("name", item.get("name").asText()).put("arguments", arguments));
        events.add("response.output_item.done", Json.object().put("output_index", 0).set("item", item));
        events.finished(response(call, id, createdAt, "completed", item, usage));
    }

    private static ObjectNode part(String itemId) {
        return Json.object().put("item_id", itemId).put("output_index", 0).put("content_index", 0);
    }

    /** Typed events numbered in order: {@code event: TYPE}, then data with the same type and a sequence number. */
    private final class Events {
        final SseStream stream;
        int sequence;
        private final Call call;

        Events(Call call) {
            this.call = call;
            this.stream = call.stream();
        }

        void add(String type, ObjectNode fields) {
            ObjectNode event = Json.object().put("type", type).put("sequence_number", sequence++);
            event.setAll(fields);
            stream.event(type, Json.write(event));
        }

        void started(String id, long createdAt) {
            ObjectNode snapshot = response(call, id, createdAt, "in_progress", null, null);
            add("response.created", Json.object().set("response", snapshot));
            add("response.in_progress", Json.object().set("response", snapshot));
        }

        void finished(ObjectNode response) {
            String type = "incomplete".equals(response.get("status").asText()) ? "response.incomplete"
                    : "response.completed";
            add(type, Json.object().set("response", response));
            stream.play();
        }
    }
}
