package dev.tollgate.sandbox;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The prompt prefixes a provider would hold in its cache: a bounded, least-recently-used set of 64-bit hashes of
 * prompt prefixes. Only hashes are kept, so memory stays small however large the prompts are; a hash collision
 * (about one in 2^64) would report a cache hit that did not happen, which is fine for a simulator.
 */
final class PromptCache {

    /** OpenAI caches prompts of this many tokens or more, in steps of {@link #OPENAI_STEP}. */
    static final int OPENAI_MIN_TOKENS = 1024;
    static final int OPENAI_STEP = 128;

    private final Map<Long, Boolean> prefixes;

    PromptCache(int capacity) {
        this.prefixes = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    /** True when the prefix was seen before; records it either way. */
    synchronized boolean seenBefore(long prefixHash) {
        return prefixes.put(prefixHash, Boolean.TRUE) != null;
    }

    /**
     * OpenAI's automatic caching, approximated: given the hashes and token counts of a prompt's growing prefixes
     * (first item, first two items, … the whole prompt), the cached part is the longest prefix seen before, rounded
     * down to a multiple of 128 tokens, when it reaches 1024 tokens. All prefixes are recorded for later requests.
     */
    synchronized int openAiCachedTokens(long[] prefixHashes, int[] prefixTokens, int count) {
        int cached = 0;
        for (int i = 0; i < count; i++) {
            boolean seen = prefixes.put(prefixHashes[i], Boolean.TRUE) != null;
            if (seen && prefixTokens[i] >= OPENAI_MIN_TOKENS) {
                cached = prefixTokens[i] - prefixTokens[i] % OPENAI_STEP;
            }
        }
        return cached;
    }

    /** Extends a prefix hash by one more piece of the prompt (FNV-1a over UTF-16 units, then mixed). */
    static long extend(long hash, CharSequence piece) {
        long h = hash ^ 0xcbf29ce484222325L;
        for (int i = 0, n = piece.length(); i < n; i++) {
            h ^= piece.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        return h ^ (h >>> 33);
    }
}
