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
import io.vertx.core.buffer.Buffer;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * An OpenAI Responses API client to an Anthropic model: instructions, input messages, images, function calls and
 * their outputs, function tools and sampling go over; the message comes back as a response object (stream events
 * in {@link ResponsesStream}). The gateway keeps no conversations, so what needs stored state
 * ({@code previous_response_id}, {@code conversation}, {@code background}) is refused, as are built-in tools and
 * structured output; {@code store} is ignored (nothing is stored either way) and so are {@code reasoning} and
 * {@code include}.
 */
public final class ResponsesOverAnthropic implements Translation {

    private final int defaultMaxTokens;

    public ResponsesOverAnthropic(int defaultMaxTokens) {
        this.defaultMaxTokens = defaultMaxTokens;
    }

    @Override
    public Api upstreamApi(Api clientApi) {
        return Api.ANTHROPIC_MESSAGES;
    }

    @Override
    public Buffer requestBody(Exchange exchange) {
        return Json.buffer(messagesRequest(exchange));
    }

    /** The client's Responses request as an Anthropic Messages request. */
    ObjectNode messagesRequest(Exchange exchange) {
        return toMessages(exchange.body(), exchange.route().model(), defaultMaxTokens);
    }

    static ObjectNode toMessages(JsonNode in, String model, int defaultMaxTokens) {
        refuse(in.hasNonNull("previous_response_id"), "previous_response_id",
                "previous_response_id is only supported for OpenAI providers; send the conversation in `input`");
        refuse(in.hasNonNull("conversation"), "conversation",
                "conversation is only supported for OpenAI providers; send the conversation in `input`");
        refuse(in.path("background").asBoolean(false), "background", "background responses are only supported for OpenAI providers");
        refuse(in.path("n").asInt(1) > 1, "n", "n > 1 is not supported by Anthropic models");
        String format = in.path("text").path("format").path("type").asText("text");
        refuse(!format.equals("text") && !format.equals("json_schema"), "text.format", "text.format '" + format
                + "' is not available from Anthropic models; use 'json_schema', describe the format in the prompt or use a tool");

        ObjectNode out = Json.object();
        out.put("model", model);
        StringBuilder system = new StringBuilder(ContentBlocks.plainText(in.get("instructions")));
        ArrayNode messages = out.putArray("messages");
        JsonNode input = in.get("input");
        if (input != null && input.isTextual()) {
            ChatOverAnthropic.append(messages, "user", ContentBlocks.toAnthropic(input));
        } else if (input != null && input.isArray()) {
            for (JsonNode item : input) item(item, system, messages);
        }
        if (!system.isEmpty()) out.put("system", system.toString());
        JsonNode maxTokens = in.get("max_output_tokens");
        out.put("max_tokens", maxTokens != null && maxTokens.canConvertToInt() ? maxTokens.asInt() : defaultMaxTokens);
        if (in.hasNonNull("temperature")) out.put("temperature", in.get("temperature").decimalValue().min(BigDecimal.ONE));
        if (in.hasNonNull("top_p")) out.set("top_p", in.get("top_p"));
        if (in.path("stream").asBoolean(false)) out.put("stream", true);
        if (in.hasNonNull("user")) out.putObject("metadata").put("user_id", in.get("user").asText());
        tools(in, out);
        if (format.equals("json_schema")) {
            out.set("output_config", StructuredOutput.anthropicOutputConfig(in.path("text").path("format").path("schema")));
        }
        return out;
    }

    /** One input item; system and developer messages join the system prompt, the rest become message blocks. */
    private static void item(JsonNode item, StringBuilder system, ArrayNode messages) {
        String type = item.path("type").asText("message");
        switch (type) {
            case "message" -> {
                String role = item.path("role").asText();
                switch (role) {
                    case "system", "developer" -> {
                        if (!system.isEmpty()) system.append("\n\n");
                        system.append(ContentBlocks.plainText(item.get("content")));
                    }
                    case "user", "assistant" -> ChatOverAnthropic.append(messages, role, content(item.get("content")));
                    default -> throw new UntranslatableException("input", "message role '" + role + "' cannot be sent to an Anthropic model");
                }
            }
            case "function_call" -> {
                ObjectNode use = Json.object().put("type", "tool_use").put("id", item.path("call_id").asText())
                        .put("name", item.path("name").asText());
                JsonNode args = Json.parseOrNull(item.path("arguments").asText("{}"));
                use.set("input", args != null && args.isObject() ? args : Json.object());
                ChatOverAnthropic.append(messages, "assistant", Json.array().add(use));
            }
            case "function_call_output" -> {
                ObjectNode result = Json.object().put("type", "tool_result").put("tool_use_id", item.path("call_id").asText());
                result.put("content", ContentBlocks.plainText(item.get("output")));
                ChatOverAnthropic.append(messages, "user", Json.array().add(result));
            }
            // an OpenAI model's reasoning from an earlier turn means nothing to another model
            case "reasoning" -> { }
            default -> throw new UntranslatableException("input", "input item type '" + type + "' cannot be sent to an Anthropic model");
        }
    }

    /** Responses content (a string, or input_text/output_text/input_image parts) as Anthropic blocks. */
    private static ArrayNode content(JsonNode content) {
        if (content == null || content.isNull() || content.isTextual()) return ContentBlocks.toAnthropic(content);
        ArrayNode blocks = Json.array();
        for (JsonNode part : content) {
            String type = part.path("type").asText();
            switch (type) {
                case "input_text", "output_text" -> blocks.addObject().put("type", "text").put("text", part.path("text").asText());
                case "refusal" -> blocks.addObject().put("type", "text").put("text", part.path("refusal").asText());
                case "input_image" -> {
                    refuse(!part.path("image_url").isTextual(), "input", "input_image needs an image_url; file_id images are only supported for OpenAI providers");
                    blocks.add(ContentBlocks.image(part.get("image_url").asText(), "input"));
                }
                default -> throw new UntranslatableException("input", "content part type '" + type + "' cannot be sent to an Anthropic model");
            }
        }
        return blocks;
    }

    /** Responses' function tools are flat ({@code name}, {@code parameters} at the top); built-in tools have no equivalent. */
    private static void tools(JsonNode in, ObjectNode out) {
        JsonNode tools = in.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            ArrayNode converted = out.putArray("tools");
            int i = 0;
            for (JsonNode t : tools) {
                String type = t.path("type").asText();
                refuse(!type.equals("function"), "tools[" + i + "].type",
                        "tool type '" + type + "' is only supported for OpenAI providers; Anthropic models take function tools");
                ChatOverAnthropic.addTool(converted, t);
                i++;
            }
        }
        JsonNode choice = in.get("tool_choice");
        String named = null;
        if (choice != null && choice.isObject()) {
            refuse(!choice.path("type").asText().equals("function"), "tool_choice",
                    "tool_choice type '" + choice.path("type").asText() + "' is only supported for OpenAI providers");
            named = choice.path("name").asText();
        }
        ChatOverAnthropic.toolChoice(in, out, named);
    }

    private static void refuse(boolean condition, String param, String message) {
        if (condition) throw new UntranslatableException(param, message);
    }

    @Override
    public void complete(Exchange exchange, Buffer body, ReplySink sink) {
        JsonNode msg = Json.tree(body);
        Usage usage = sink.usageOrEstimate(UsageFields.fromAnthropic(msg.path("usage")), msg.path("model").asText(null),
                () -> PromptTokens.estimate(exchange, ChatOverAnthropic.generatedText(msg)));
        String model = msg.path("model").asText(exchange.route().model());
        String id = msg.path("id").asText();
        ArrayNode output = Json.array();
        int index = 0;
        for (JsonNode block : msg.path("content")) {
            switch (block.path("type").asText()) {
                case "text" -> output.add(ResponseObjects.message(ResponseObjects.messageId(id, index), "completed",
                        block.path("text").asText()));
                case "tool_use" -> output.add(ResponseObjects.functionCall(ResponseObjects.functionCallId(block.path("id").asText()),
                        "completed", block.path("id").asText(), block.path("name").asText(), Json.text(block.path("input"))));
                default -> { }
            }
            index++;
        }
        String stopReason = msg.path("stop_reason").asText(null);
        ObjectNode response = ResponseObjects.response(exchange.body(), "resp_" + id, Instant.now().getEpochSecond(), model,
                ResponseObjects.status(stopReason), ResponseObjects.incompleteReason(stopReason), output, usage);
        sink.start(200, AsciiHeaders.json());
        sink.data(Json.buffer(response));
        sink.end();
    }

    @Override
    public StreamRelay stream(Exchange exchange) {
        return new ResponsesStream(exchange);
    }
}
