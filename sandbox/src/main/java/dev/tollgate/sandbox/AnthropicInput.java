package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.tokens.TokenCounter;

import java.util.ArrayList;
import java.util.List;

/**
 * The input side of an Anthropic request: its tokens (an o200k_base approximation of Claude's tokenizer: tools by
 * their JSON, system and text blocks by their text, 3 tokens per message, about 1,600 per image or document) and
 * how they split between cache reads, cache writes and uncached input at the {@code cache_control} breakpoints.
 */
final class AnthropicInput {

    private static final int TOKENS_PER_MESSAGE = 3;
    private static final int TOKENS_PER_IMAGE = 1600;

    private final PromptCache cache;

    AnthropicInput(PromptCache cache) {
        this.cache = cache;
    }

    /** Input tokens: {@code uncached} (after the last breakpoint), read from cache, and written to it per TTL. */
    record Usage(int uncached, int cacheRead, int write5m, int write1h) {
        int total() {
            return uncached + cacheRead + write5m + write1h;
        }
    }

    /** One piece of the prompt in cache order: tools, system, messages. {@code ttl} is set on a breakpoint. */
    private record Piece(JsonNode node, int tokens, String ttl) {
        /** What identifies it in the cache; computed only when the request has breakpoints. */
        String key() {
            return node.isTextual() ? node.asText() : withoutCacheControl(node);
        }
    }

    /** Counts the request's input; with {@code useCache}, also reads and writes the prompt cache as Anthropic does. */
    Usage count(JsonNode body, TokenCounter counter, boolean useCache) {
        List<Piece> pieces = new ArrayList<>();
        for (JsonNode tool : body.path("tools")) {
            pieces.add(new Piece(tool, counter.count(withoutCacheControl(tool)), ttl(tool)));
        }
        JsonNode system = body.get("system");
        if (system != null && system.isTextual()) {
            pieces.add(new Piece(system, counter.count(system.asText()), null));
        } else if (system != null) {
            for (JsonNode block : system) addBlock(pieces, block, counter);
        }
        for (JsonNode message : body.path("messages")) {
            pieces.add(new Piece(message.path("role"), TOKENS_PER_MESSAGE, null));
            JsonNode content = message.get("content");
            if (content != null && content.isTextual()) {
                pieces.add(new Piece(content, counter.count(content.asText()), null));
            } else if (content != null) {
                for (JsonNode block : content) addBlock(pieces, block, counter);
            }
        }
        int total = 0;
        int lastBreakpoint = -1;
        for (int i = 0; i < pieces.size(); i++) {
            total += pieces.get(i).tokens();
            if (pieces.get(i).ttl() != null) lastBreakpoint = i;
        }
        if (!useCache || lastBreakpoint < 0) return new Usage(total, 0, 0, 0);
        return split(pieces, lastBreakpoint, total);
    }

    /**
     * Reads the longest cached prefix that ends at a breakpoint; writes each later breakpoint's segment under its TTL.
     */
    private Usage split(List<Piece> pieces, int lastBreakpoint, int total) {
        List<int[]> breakpoints = new ArrayList<>();  // {prefix tokens, 1 if ttl is 1h}
        long hash = 0;
        int prefixTokens = 0;
        int readTokens = 0;
        int readIndex = -1;
        for (int i = 0; i <= lastBreakpoint; i++) {
            Piece piece = pieces.get(i);
            hash = PromptCache.extend(hash, piece.key());
            prefixTokens += piece.tokens();
            if (piece.ttl() == null) continue;
            if (cache.seenBefore(hash)) {
                readTokens = prefixTokens;
                readIndex = breakpoints.size();
            }
            breakpoints.add(new int[]{prefixTokens, piece.ttl().equals("1h") ? 1 : 0});
        }
        int write5m = 0, write1h = 0, written = readTokens;
        for (int b = readIndex + 1; b < breakpoints.size(); b++) {
            int segment = breakpoints.get(b)[0] - written;
            if (breakpoints.get(b)[1] == 1) write1h += segment;
            else write5m += segment;
            written = breakpoints.get(b)[0];
        }
        return new Usage(total - written, readTokens, write5m, write1h);
    }

    private static void addBlock(List<Piece> pieces, JsonNode block, TokenCounter counter) {
        pieces.add(new Piece(block, blockTokens(block, counter), ttl(block)));
    }

    private static int blockTokens(JsonNode block, TokenCounter counter) {
        return switch (block.path("type").asText()) {
            case "text" -> counter.count(block.path("text").asText());
            case "tool_use" -> counter.count(block.path("name").asText()) + counter.count(block.path("input").toString());
            case "tool_result" -> counter.countContent(block.get("content"));
            case "image", "document" -> TOKENS_PER_IMAGE;
            default -> counter.count(withoutCacheControl(block));
        };
    }

    /** The breakpoint's TTL ("5m" or "1h"), or null when the item carries no {@code cache_control}. */
    private static String ttl(JsonNode item) {
        JsonNode control = item.get("cache_control");
        if (control == null || !control.isObject()) return null;
        return "1h".equals(control.path("ttl").asText()) ? "1h" : "5m";
    }

    /** An item's JSON without its marker, so that moving a breakpoint keeps the cache hits before it. */
    private static String withoutCacheControl(JsonNode item) {
        if (!item.has("cache_control")) return item.toString();
        ObjectNode copy = ((ObjectNode) item).deepCopy();
        copy.remove("cache_control");
        return copy.toString();
    }
}
