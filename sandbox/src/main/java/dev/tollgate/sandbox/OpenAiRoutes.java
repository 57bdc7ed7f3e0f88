package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.tokens.TokenCounter;

import java.util.ArrayList;
import java.util.List;

/** OpenAI's Chat Completions, legacy Completions and Models routes. */
final class OpenAiRoutes {

    private static final String FINGERPRINT = "fp_sandbox";
    private static final String[] MODELS = {
            "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-5", "gpt-5-mini", "o3", "o4-mini",
            "gpt-3.5-turbo-instruct", "text-embedding-3-small", "text-embedding-3-large"};
    private static final ObjectNode MODEL_LIST = modelList();

    private final PromptCache cache;

    OpenAiRoutes(PromptCache cache) {
        this.cache = cache;
    }

    static void models(Call call) {
        call.json(MODEL_LIST);
    }

    private static ObjectNode modelList() {
        ObjectNode list = Json.object().put("object", "list");
        ArrayNode data = list.putArray("data");
        for (String id : MODELS) {
            data.addObject().put("id", id).put("object", "model").put("created", 1_715_367_049L)
                    .put("owned_by", "tollgate-sandbox");
        }
        return list;
    }

    // ---- Chat Completions ----

    void chatCompletions(Call call) {
        JsonNode body = call.body;
        JsonNode messages = body.get("messages");
        if (call.model().isEmpty()) {
            call.badRequest("you must provide a model parameter");
            return;
        }
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            call.badRequest("Missing required parameter: 'messages'.");
            return;
        }
        if (body.has("max_tokens") && Reasoning.isReasoningModel(call.model())) {
            // as OpenAI does: its reasoning models take only max_completion_tokens
            call.badRequest("Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.");
            return;
        }
        TokenCounter counter = call.counter();
        JsonNode tools = body.get("tools");
        int toolTokens = tools == null ? 0 : counter.count(tools.toString());
        int promptTokens = counter.countChat(messages) + toolTokens;
        int cached = promptTokens >= PromptCache.OPENAI_MIN_TOKENS ? cachedTokens(counter, tools, toolTokens, messages) : 0;

        ToolCalls.Chosen tool = toolCall(body, messages);
        if (tool != null) {
            String arguments = tool.argumentsJson();
            int completion = counter.count(tool.name()) + counter.count(arguments);
            Usage usage = new Usage(promptTokens, cached, completion, 0);
            String callId = Ids.next("call_");
            if (call.streaming()) streamToolCall(call, usage, callId, tool.name(), arguments);
            else call.json(chatCompletion(call, toolCallMessage(callId, tool.name(), arguments), "tool_calls", usage));
            return;
        }
        int cap = Json.intOr(body, "max_completion_tokens", Json.intOr(body, "max_tokens", -1));
        String reply = call.reply(OutputFormat.chat(body));
        int replyTokens = reply == null ? 0 : counter.count(reply);
        if (reply != null && (cap < 0 || replyTokens <= cap)) {
            answer(call, AnswerText.reply(reply), "stop", new Usage(promptTokens, cached, replyTokens, 0));
            return;
        }
        Call.OutputPlan plan = call.plan(cap);
        int reasoning = Reasoning.tokens(call.config, call.model(), plan.tokens());
        int visible = plan.tokens() - reasoning;
        Usage usage = new Usage(promptTokens, cached, plan.tokens(), reasoning);
        answer(call, AnswerText.prose(call.text, visible), plan.capped() ? "length" : "stop", usage);
    }

    private static void answer(Call call, AnswerText answer, String finish, Usage usage) {
        if (call.streaming()) {
            streamText(call, usage, answer, finish);
        } else {
            ObjectNode message = Json.object().put("role", "assistant").put("content", answer.text());
            message.putNull("refusal");
            message.putArray("annotations");
            call.json(chatCompletion(call, message, finish, usage));
        }
    }

    /** Prompt tokens OpenAI would serve from its cache: tools, then the messages, as growing prefixes. */
    private int cachedTokens(TokenCounter counter, JsonNode tools, int toolTokens, JsonNode messages) {
        int n = messages.size();
        long[] hashes = new long[n];
        int[] tokens = new int[n];
        long hash = tools == null ? 0 : PromptCache.extend(0, tools.toString());
        int total = toolTokens;
        ArrayNode single = Json.MAPPER.createArrayNode();
        for (int i = 0; i < n; i++) {
            JsonNode message = messages.get(i);
            single.removeAll().add(message);
            total += counter.countChat(single) - 3;  // without the reply priming, which is counted once
            hash = PromptCache.extend(hash, message.toString());
            hashes[i] = hash;
            tokens[i] = total;
        }
        return cache.openAiCachedTokens(hashes, tokens, n);
    }

    /** The tool to call, or null while the model has already seen a tool result or may not call one. */
    private static ToolCalls.Chosen toolCall(JsonNode body, JsonNode messages) {
        JsonNode tools = body.get("tools");
        if (tools == null || tools.isEmpty()) return null;
        if ("tool".equals(messages.get(messages.size() - 1).path("role").asText())) return null;
        JsonNode choice = body.path("tool_choice");
        if ("none".equals(choice.asText())) return null;
        String named = choice.isObject() ? choice.path("function").path("name").asText(null) : null;
        return ToolCalls.choose(tools, named,
                tool -> tool.path("function").path("name").asText(null),
                tool -> tool.path("function").get("parameters"));
    }

    private static ObjectNode toolCallMessage(String callId, String name, String arguments) {
        ObjectNode message = Json.object().put("role", "assistant");
        message.putNull("content");
        ObjectNode toolCall = message.putArray("tool_calls").addObject().put("id", callId).put("type", "function");
        toolCall.putObject("function").put("name", name).put("arguments", arguments);
        message.putNull("refusal");
        message.putArray("annotations");
        return message;
    }

    private static ObjectNode chatCompletion(Call call, ObjectNode message, String finish, Usage usage) {
        ObjectNode completion = Json.object()
                .put("id", Ids.next("chatcmpl-"))
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", call.model());
        ObjectNode choice = completion.putArray("choices").addObject().put("index", 0);
        choice.set("message", message);
        choice.putNull("logprobs");
        choice.put("finish_reason", finish);
        completion.set("usage", usage.chatJson());
        completion.put("service_tier", "default").put("system_fingerprint", FINGERPRINT);
        return completion;
    }

    private static void streamText(Call call, Usage usage, AnswerText answer, String finish) {
        ChunkTemplate chunks = new ChunkTemplate(call, "chat.completion.chunk");
        SseStream stream = call.stream();
        stream.data(chunks.choice("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", "null"));
        for (int i = 0; i < answer.pieces(); i++) {
            stream.data(chunks.choice("{\"content\":" + Json.quote(answer.piece(i)) + "}", "null")).token();
        }
        stream.data(chunks.choice("{}", "\"" + finish + "\""));
        finishStream(stream, chunks, usage.chatJson());
    }

    private void streamToolCall(Call call, Usage usage, String callId, String name, String arguments) {
        ChunkTemplate chunks = new ChunkTemplate(call, "chat.completion.chunk");
        SseStream stream = call.stream();
        stream.data(chunks.choice("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\""
                + callId + "\",\"type\":\"function\",\"function\":{\"name\":" + Json.quote(name)
                + ",\"arguments\":\"\"}}],\"refusal\":null}", "null")).token();
        for (String fragment : ToolCalls.fragments(arguments)) {
            stream.data(chunks.choice("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
                    + Json.quote(fragment) + "}}]}", "null")).token();
        }
        stream.data(chunks.choice("{}", "\"tool_calls\""));
        finishStream(stream, chunks, usage.chatJson());
    }

    /** The usage chunk, only when {@code stream_options.include_usage} asks for it, then {@code [DONE]}. */
    private static void finishStream(SseStream stream, ChunkTemplate chunks, ObjectNode usage) {
        if (chunks.includeUsage) stream.data(chunks.usage(Json.write(usage)));
        stream.data("[DONE]");
        stream.play();
    }

    // ---- legacy Completions ----

    void completions(Call call) {
        JsonNode body = call.body;
        if (call.model().isEmpty()) {
            call.badRequest("you must provide a model parameter");
            return;
        }
        JsonNode prompt = body.get("prompt");
        if (prompt == null || prompt.isNull()) {
            call.badRequest("Missing required parameter: 'prompt'.");
            return;
        }
        TokenCounter counter = call.counter();
        List<Integer> promptSizes = promptSizes(counter, prompt);
        int promptTokens = promptSizes.stream().mapToInt(Integer::intValue).sum();
        Call.OutputPlan plan = call.plan(Json.intOr(body, "max_tokens", -1));
        String finish = plan.capped() ? "length" : "stop";
        int choices = promptSizes.size();
        Usage usage = new Usage(promptTokens, 0, plan.tokens() * choices, 0);
        if (call.streaming()) {
            streamCompletions(call, usage, choices, plan.tokens(), finish);
            return;
        }
        ObjectNode completion = Json.object()
                .put("id", Ids.next("cmpl-"))
                .put("object", "text_completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", call.model())
                .put("system_fingerprint", FINGERPRINT);
        ArrayNode array = completion.putArray("choices");
        String text = call.text.text(plan.tokens());
        for (int i = 0; i < choices; i++) {
            ObjectNode choice = array.addObject().put("text", text).put("index", i);
            choice.putNull("logprobs");
            choice.put("finish_reason", finish);
        }
        completion.set("usage", usage.completionsJson());
        call.json(completion);
    }

    /** Token count of each prompt: a string, an array of strings, a token array, or an array of token arrays. */
    private static List<Integer> promptSizes(TokenCounter counter, JsonNode prompt) {
        List<Integer> sizes = new ArrayList<>();
        if (prompt.isTextual()) {
            sizes.add(counter.count(prompt.asText()));
        } else if (prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isNumber()) {
            sizes.add(prompt.size());
        } else {
            for (JsonNode item : prompt) sizes.add(item.isArray() ? item.size() : counter.count(item.asText()));
        }
        if (sizes.isEmpty()) sizes.add(0);
        return sizes;
    }

    private void streamCompletions(Call call, Usage usage, int choices, int tokens, String finish) {
        ChunkTemplate chunks = new ChunkTemplate(call, "text_completion");
        SseStream stream = call.stream();
        for (int c = 0; c < choices; c++) {
            for (int i = 0; i < tokens; i++) {
                stream.data(chunks.text(c, Json.quote(call.text.piece(i)), "null")).token();
            }
            stream.data(chunks.text(c, "\"\"", "\"" + finish + "\""));
        }
        finishStream(stream, chunks, usage.completionsJson());
    }

    /** The fixed part of every chunk of one stream, written once so each chunk is a few appends. */
    private static final class ChunkTemplate {
        final boolean includeUsage;
        private final String head;
        private final String tail;

        ChunkTemplate(Call call, String object) {
            includeUsage = call.body.path("stream_options").path("include_usage").asBoolean(false);
            head = "{\"id\":\"" + Ids.next(object.equals("text_completion") ? "cmpl-" : "chatcmpl-")
                    + "\",\"object\":\"" + object + "\",\"created\":" + System.currentTimeMillis() / 1000
                    + ",\"model\":" + Json.quote(call.model())
                    + ",\"service_tier\":\"default\",\"system_fingerprint\":\"" + FINGERPRINT + "\",\"choices\":";
            tail = includeUsage ? ",\"usage\":null}" : "}";
        }

        String choice(String delta, String finish) {
            return head + "[{\"index\":0,\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":" + finish
                    + "}]" + tail;
        }

        String text(int index, String quotedText, String finish) {
            return head + "[{\"text\":" + quotedText + ",\"index\":" + index + ",\"logprobs\":null,\"finish_reason\":"
                    + finish + "}]" + tail;
        }

        String usage(String usageJson) {
            return head + "[],\"usage\":" + usageJson + "}";
        }
    }

    /** What one answer reports. {@code cached} is within {@code prompt}; {@code reasoning} within {@code completion}. */
    record Usage(int prompt, int cached, int completion, int reasoning) {

        ObjectNode chatJson() {
            ObjectNode usage = completionsJson();
            usage.putObject("prompt_tokens_details").put("cached_tokens", cached).put("audio_tokens", 0);
            usage.putObject("completion_tokens_details").put("reasoning_tokens", reasoning).put("audio_tokens", 0)
                    .put("accepted_prediction_tokens", 0).put("rejected_prediction_tokens", 0);
            return usage;
        }

        ObjectNode completionsJson() {
            return Json.object().put("prompt_tokens", prompt).put("completion_tokens", completion)
                    .put("total_tokens", prompt + completion);
        }
    }
}
