package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.AsciiHeaders;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.sse.SseEvent;
import io.vertx.core.buffer.Buffer;


/**
 * An OpenAI-format client to an OpenAI-format provider: the body goes on as the client sent it (only the model
 * name is swapped when the route renames it) and the reply comes back byte for byte. For streams the gateway
 * asks for usage ({@code stream_options.include_usage}) and hides that extra chunk from clients that did not.
 */
public final class OpenAiPassthrough implements Translation {

    public static final OpenAiPassthrough INSTANCE = new OpenAiPassthrough();

    @Override
    public Buffer requestBody(Exchange exchange) {
        ObjectNode body = exchange.body();
        String model = exchange.route().model();
        if (!model.equals(exchange.requestedModel())) {
            body.put("model", model);
            exchange.markBodyChanged();
        }
        if (exchange.stream() && asksUsageInStream(exchange.api()) && !exchange.streamUsageRequested()) {
            body.withObject("stream_options").put("include_usage", true);
            exchange.markBodyChanged();
        }
        // billed at the tier asked for unless the answer names the one that served it (it always should)
        exchange.serviceTier(exchange.requestedServiceTier());
        return exchange.outgoingBody();
    }

    private static boolean asksUsageInStream(Api api) {
        return api == Api.OPENAI_CHAT || api == Api.OPENAI_COMPLETIONS;
    }

    @Override
    public void complete(Exchange exchange, Buffer body, ReplySink sink) {
        AnswerHead head = AnswerHead.read(body, UsageFields::readOpenAi);
        servedAt(exchange, head.serviceTier());
        sink.usageOrEstimate(head.usage(), head.model(),
                () -> PromptTokens.estimate(exchange, outputText(exchange.api(), Json.tree(body))));
        sink.start(200, AsciiHeaders.json());
        sink.data(body);
        sink.end();
    }

    /** Records the service tier an answer says served the call (Chat Completions and Responses both name it). */
    private static void servedAt(Exchange exchange, String serviceTier) {
        if (serviceTier != null) exchange.serviceTier(serviceTier);
    }

    /** The {@code service_tier} of a parsed answer object, chunk or Responses {@code response}, or null. */
    private static String serviceTier(JsonNode answer) {
        JsonNode tier = answer.get("service_tier");
        return tier != null && tier.isTextual() ? tier.asText() : null;
    }

    private static String outputText(Api api, JsonNode json) {
        StringBuilder out = new StringBuilder();
        for (JsonNode choice : json.path("choices")) {
            out.append(choice.path("message").path("content").asText("")).append(choice.path("text").asText(""));
        }
        if (api == Api.OPENAI_RESPONSES) {
            for (JsonNode item : json.path("output")) {
                for (JsonNode part : item.path("content")) out.append(part.path("text").asText(""));
                out.append(item.path("arguments").asText(""));
            }
        }
        return out.toString();
    }

    @Override
    public StreamRelay stream(Exchange exchange) {
        return exchange.api() == Api.OPENAI_RESPONSES ? new ResponsesRelay(exchange) : new ChunkRelay(exchange);
    }

    /** Chat Completions and Completions streams: {@code data:} chunks ending in {@code [DONE]}. */
    private static final class ChunkRelay implements StreamRelay {
        private final Exchange exchange;
        private final StreamAccounting accounting;
        private final boolean clientWantsUsage;
        private boolean usageReported;
        private boolean done;

        ChunkRelay(Exchange exchange) {
            this.exchange = exchange;
            this.accounting = new StreamAccounting(exchange);
            this.clientWantsUsage = exchange.streamUsageRequested();
        }

        @Override
        public void event(SseEvent event, ReplySink sink) {
            String data = event.data();
            if (data == null) {
                sink.data(event.raw());
                return;
            }
            if (data.equals("[DONE]")) {
                done = true;
                sink.data(event.raw());
                return;
            }
            if (UsageFields.hasUsageObject(data)) {
                JsonNode chunk = Json.parseOrNull(data);
                Usage usage = chunk == null ? null : UsageFields.fromOpenAi(chunk.get("usage"));
                if (usage != null) { // else counted locally at the end
                    servedAt(exchange, serviceTier(chunk)); // every chunk names it, the usage chunk too
                    sink.usage(usage, chunk.path("model").asText(null), false);
                    usageReported = true;
                    boolean usageOnly = chunk.path("choices").isEmpty();
                    if (usageOnly && !clientWantsUsage) return;
                }
            }
            accounting.remember(data);
            sink.data(event.raw());
        }

        @Override
        public void finish(ReplySink sink, Throwable cause) {
            accounting.finish(sink, cause, usageReported, done || usageReported, ChunkRelay::generatedText);
        }

        private static void generatedText(String data, StringBuilder out) {
            JsonNode chunk = Json.parseOrNull(data);
            if (chunk == null) return;
            for (JsonNode choice : chunk.path("choices")) {
                JsonNode delta = choice.path("delta");
                out.append(delta.path("content").asText("")).append(choice.path("text").asText(""));
                for (JsonNode call : delta.path("tool_calls")) out.append(call.path("function").path("arguments").asText(""));
            }
        }
    }

    /** Responses API streams: typed events; usage arrives in the final {@code response.completed}. */
    private static final class ResponsesRelay implements StreamRelay {
        private final Exchange exchange;
        private final StreamAccounting accounting;
        private boolean usageReported;
        private boolean done;

        ResponsesRelay(Exchange exchange) {
            this.exchange = exchange;
            this.accounting = new StreamAccounting(exchange);
        }

        @Override
        public void event(SseEvent event, ReplySink sink) {
            String data = event.data();
            if (data != null) {
                String type = event.event() != null ? event.event() : "";
                if (type.equals("response.completed") || type.equals("response.incomplete") || type.equals("response.failed")
                        || (type.isEmpty() && data.contains("\"response.completed\""))) {
                    JsonNode json = Json.parseOrNull(data);
                    JsonNode response = json == null ? null : json.path("response");
                    Usage usage = response == null ? null : UsageFields.fromOpenAi(response.path("usage"));
                    if (usage != null) {
                        servedAt(exchange, serviceTier(response));
                        sink.usage(usage, response.path("model").asText(null), false);
                        usageReported = true;
                    }
                    done = true;
                } else {
                    accounting.remember(data);
                }
            }
            sink.data(event.raw());
        }

        @Override
        public void finish(ReplySink sink, Throwable cause) {
            accounting.finish(sink, cause, usageReported, done, ResponsesRelay::generatedText);
        }

        private static void generatedText(String data, StringBuilder out) {
            JsonNode json = Json.parseOrNull(data);
            if (json == null) return;
            String type = json.path("type").asText("");
            if (type.endsWith(".delta")) out.append(json.path("delta").asText(""));
        }
    }
}
