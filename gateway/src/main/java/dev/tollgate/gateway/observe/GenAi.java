package dev.tollgate.gateway.observe;

import io.opentelemetry.api.common.AttributeKey;

import java.util.List;

/**
 * The OpenTelemetry semantic conventions for generative AI client spans that the gateway emits (semconv 1.37 and
 * later: {@code gen_ai.provider.name} replaced {@code gen_ai.system}). Written out here because the conventions are
 * still "development" and ship only in the incubating semconv artifact.
 */
final class GenAi {

    static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> PROVIDER_NAME = AttributeKey.stringKey("gen_ai.provider.name");
    static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<Long> CACHE_READ_TOKENS = AttributeKey.longKey("gen_ai.usage.cache_read.input_tokens");
    static final AttributeKey<Long> CACHE_CREATION_TOKENS = AttributeKey.longKey("gen_ai.usage.cache_creation.input_tokens");
    static final AttributeKey<Long> REQUEST_MAX_TOKENS = AttributeKey.longKey("gen_ai.request.max_tokens");
    static final AttributeKey<String> RESPONSE_ID = AttributeKey.stringKey("gen_ai.response.id");
    static final AttributeKey<List<String>> RESPONSE_FINISH_REASONS = AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");

    private GenAi() {
    }

    /** {@code gen_ai.operation.name} for a ledger API name. */
    static String operation(String api) {
        if (api == null) return "chat";
        return switch (api) {
            case "openai.completions" -> "text_completion";
            case "openai.embeddings" -> "embeddings";
            default -> "chat"; // chat completions, messages and the Responses API all hold a conversation
        };
    }

    /** {@code gen_ai.provider.name} for a configured provider type. */
    static String provider(String type) {
        if (type == null) return "unknown";
        return switch (type) {
            case "azure" -> "azure.ai.openai";
            default -> type; // "openai", "anthropic"
        };
    }
}
