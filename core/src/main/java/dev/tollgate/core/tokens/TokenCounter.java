package dev.tollgate.core.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts tokens before a call is made (budgets, estimates) and after a stream breaks (what was generated).
 *
 * <p>OpenAI models are counted exactly with their own encoding (o200k_base for the gpt-4o, gpt-4.1, gpt-5 and
 * o-series families, cl100k_base for gpt-4, gpt-3.5 and the ada/text-embedding-3 models), including the chat
 * format's overhead: 3 tokens per message, 1 more for a {@code name}, and 3 that prime the reply. Other families
 * (Claude, Gemini, Llama, Mistral, DeepSeek) do not publish their tokenizers; they are approximated with
 * o200k_base, which lands within about 10–20% of what those providers bill for English text. Where a provider
 * reports usage, its figure always wins over this count.
 */
public final class TokenCounter {

    private static final int TOKENS_PER_MESSAGE = 3;
    private static final int TOKENS_PER_NAME = 1;
    private static final int REPLY_PRIMING = 3;

    private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();
    /** One model per encoding. */
    private static final List<String> EVERY_ENCODING = List.of("gpt-4o", "gpt-4");
    /** The encodings a warm-up has been started for. */
    private static final Set<EncodingType> WARMING = ConcurrentHashMap.newKeySet();

    private final Encoding encoding;
    private final boolean exact;

    private TokenCounter(Encoding encoding, boolean exact) {
        this.encoding = encoding;
        this.exact = exact;
    }

    /** The counter for a model name as a provider knows it ("gpt-4o-mini", "claude-sonnet-4-5", …). */
    public static TokenCounter forModel(String model) {
        EncodingType own = ownEncoding(model); // once: budgets and tiers ask per request
        return new TokenCounter(REGISTRY.getEncoding(own == null ? EncodingType.O200K_BASE : own), own != null);
    }

    /** The encoding a model is counted with: its own, else o200k_base as the approximation. */
    private static EncodingType encodingOf(String model) {
        EncodingType own = ownEncoding(model);
        return own == null ? EncodingType.O200K_BASE : own;
    }

    /** The encoding an OpenAI model is counted with; null for a model of another family (approximated with o200k). */
    private static EncodingType ownEncoding(String model) {
        String m = model == null ? "" : model.toLowerCase(java.util.Locale.ROOT);
        int slash = m.lastIndexOf('/');
        if (slash >= 0) m = m.substring(slash + 1);
        if (m.startsWith("gpt-4o") || m.startsWith("gpt-4.1") || m.startsWith("gpt-4.5") || m.startsWith("gpt-5")
                || m.startsWith("o1") || m.startsWith("o3") || m.startsWith("o4") || m.startsWith("chatgpt-")
                || m.startsWith("gpt-oss") || m.startsWith("codex")) {
            return EncodingType.O200K_BASE;
        }
        if (m.startsWith("gpt-4") || m.startsWith("gpt-3.5") || m.startsWith("text-embedding-")
                || m.startsWith("davinci") || m.startsWith("babbage")) {
            return EncodingType.CL100K_BASE;
        }
        return null;
    }

    /**
     * Loads now the encodings {@code models} are counted with. They are read lazily, and the first load takes a few
     * hundred milliseconds, which servers pay at start-up rather than on their first request.
     */
    private static void warmUp(Collection<String> models) {
        models.forEach(m -> forModel(m).count("warm"));
    }

    /** {@link #warmUpInBackground(Collection)} for every encoding: a server whose models are not known ahead. */
    public static void warmUpInBackground() {
        warmUpInBackground(EVERY_ENCODING);
    }

    /**
     * Loads the encodings {@code models} (model names as providers know them) are counted with, on a thread of its
     * own, so that a server listens meanwhile: a request that counts
     * tokens (budgets, a tier's prompt-size rules, the sandbox) waits only until its encoding is loaded (the registry
     * loads each once). Only the encodings these models use: on a slow machine each is a few hundred milliseconds of
     * CPU and tens of MB of allocation beside start-up (cl100k_base, for gpt-4, gpt-3.5 and the embedding models,
     * about a third of it), and a model added later loads its encoding at its first count. An encoding already
     * loading is not loaded again: serve starts it first thing, the gateway and sandbox again.
     */
    public static void warmUpInBackground(Collection<String> models) {
        List<String> toLoad = models.stream().filter(m -> WARMING.add(encodingOf(m))).toList();
        if (toLoad.isEmpty()) return;
        Thread.ofPlatform().daemon().name("tollgate-encodings").start(() -> warmUp(toLoad));
    }

    /** True when the count is the provider's own tokenizer, false when it is an approximation. */
    public boolean exact() {
        return exact;
    }

    public int count(String text) {
        return text == null || text.isEmpty() ? 0 : encoding.countTokens(text);
    }

    /**
     * Tokens an OpenAI chat request's {@code messages} array is billed as. Text content, given as a string or as
     * an array of {@code {"type":"text"}} parts, is counted exactly; tool calls are counted by their JSON.
     */
    public int countChat(JsonNode messages) {
        if (messages == null || !messages.isArray()) return 0;
        int total = REPLY_PRIMING;
        for (JsonNode message : messages) {
            total += TOKENS_PER_MESSAGE;
            total += count(message.path("role").asText(""));
            total += countContent(message.get("content"));
            JsonNode name = message.get("name");
            if (name != null && name.isTextual()) total += count(name.asText()) + TOKENS_PER_NAME;
            JsonNode toolCalls = message.get("tool_calls");
            if (toolCalls != null && toolCalls.isArray()) {
                for (JsonNode call : toolCalls) {
                    JsonNode fn = call.path("function");
                    total += count(fn.path("name").asText("")) + count(fn.path("arguments").asText(""));
                }
            }
        }
        return total;
    }

    /** Tokens of a content value: a string, an array of text parts, or anything else by its text. */
    public int countContent(JsonNode content) {
        if (content == null || content.isNull()) return 0;
        if (content.isTextual()) return count(content.asText());
        if (content.isArray()) {
            int total = 0;
            for (JsonNode part : content) {
                if (part.isTextual()) total += count(part.asText());
                else if (part.has("text")) total += count(part.get("text").asText());
                else if (part.has("content")) total += countContent(part.get("content"));
                else if (part.has("input")) total += count(part.get("input").toString());
            }
            return total;
        }
        return count(content.toString());
    }
}
