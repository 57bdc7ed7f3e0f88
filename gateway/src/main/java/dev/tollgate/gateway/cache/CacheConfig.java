package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.config.ConfigLoader.ConfigException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code cache:} section of the configuration: the exact response cache, in-flight coalescing and the
 * idempotency window. Immutable.
 *
 * @param enabled              whether answers are stored and served again at all (default false)
 * @param maxBytes             bound on the stored answers' bytes (keys and bodies), enforced by eviction
 * @param ttl                  how long an answer is served again, unless a policy or the request says otherwise
 * @param sharedNamespace      when set, every key reads and writes this one namespace; by default each virtual
 *                             key (tenant) has its own
 * @param coalesce             whether identical requests arriving while the first runs wait for its answer
 * @param retryAfterLeaderError what waiters do when the call they wait for fails: false = they get its error,
 *                             true = they try once more themselves (one of them becomes the new first)
 * @param cacheUnseededSampling whether a request that samples (temperature above 0, or unset) without a
 *                             {@code seed} may be stored; false treats it as unrepeatable
 * @param idempotencyWindow    how long an {@code Idempotency-Key} is remembered (0 turns the feature off)
 * @param idempotencyMaxBytes  bound on the answers kept for idempotency keys
 * @param policies             per-scope overrides, first match wins
 * @param nearDuplicate        the opt-in near-duplicate cache
 * @param redis                answers, calls in flight and idempotency keys shared with other replicas; null = this
 *                             replica's own only
 */
public record CacheConfig(boolean enabled, long maxBytes, Duration ttl, String sharedNamespace, boolean coalesce,
                          boolean retryAfterLeaderError, boolean cacheUnseededSampling, Duration idempotencyWindow,
                          long idempotencyMaxBytes, List<Policy> policies, NearDuplicate nearDuplicate, Redis redis) {

    /**
     * 32 MiB of answers and 16 MiB of idempotent ones, within the 192 MiB heap serve starts with: a full cache of 64 MiB
     * (about 70 MiB in the heap, beside the tokenizer's ~35 MB) kept G1 marking over and over (BENCHMARKS.md).
     */
    public static final CacheConfig DEFAULTS = new CacheConfig(false, 32L << 20, Duration.ofHours(1), null, true,
            false, true, Duration.ofSeconds(60), 16L << 20, List.of(), NearDuplicate.OFF, null);

    public CacheConfig(boolean enabled, long maxBytes, Duration ttl, String sharedNamespace, boolean coalesce,
                       boolean retryAfterLeaderError, boolean cacheUnseededSampling, Duration idempotencyWindow,
                       long idempotencyMaxBytes, List<Policy> policies, NearDuplicate nearDuplicate) {
        this(enabled, maxBytes, ttl, sharedNamespace, coalesce, retryAfterLeaderError, cacheUnseededSampling,
                idempotencyWindow, idempotencyMaxBytes, policies, nearDuplicate, null);
    }

    /**
     * The cache shared through Redis by every replica naming the same Redis and prefix.
     *
     * @param url     {@code redis[s]://[user:password@]host:port[/db]}
     * @param prefix  put before every key
     * @param timeout how long one Redis call may take; a slower or failed call is skipped (the replica's own cache
     *                and the provider answer), never an error for the client
     * @param lease   how long a replica's claim to make a call lasts without being renewed: when the replica dies, a
     *                waiting replica makes the call after this long
     */
    public record Redis(String url, String prefix, Duration timeout, Duration lease) {
        public Redis {
            prefix = prefix == null ? "tollgate:cache:" : prefix;
            timeout = timeout == null ? Duration.ofMillis(200) : timeout;
            lease = lease == null ? Duration.ofSeconds(10) : lease;
        }

        static Redis parse(JsonNode n) {
            if (n == null || n.isMissingNode() || n.isNull()) return null;
            String url = n.isTextual() ? n.asText() : n.path("url").asText(null);
            if (url == null || !(url.startsWith("redis://") || url.startsWith("rediss://"))) {
                throw new ConfigException("cache.redis needs a url such as redis://127.0.0.1:6379, not '" + url + "'");
            }
            if (n.isTextual()) return new Redis(url, null, null, null);
            long timeoutMs = n.path("timeout_ms").asLong(200);
            if (timeoutMs <= 0) throw new ConfigException("cache.redis.timeout_ms must be positive");
            long leaseMs = n.path("lease_ms").asLong(10_000);
            if (leaseMs <= 0) throw new ConfigException("cache.redis.lease_ms must be positive");
            return new Redis(url, n.path("prefix").asText(null), Duration.ofMillis(timeoutMs), Duration.ofMillis(leaseMs));
        }
    }

    public CacheConfig(boolean enabled, long maxBytes, Duration ttl, String sharedNamespace, boolean coalesce,
                       boolean retryAfterLeaderError, boolean cacheUnseededSampling, Duration idempotencyWindow,
                       long idempotencyMaxBytes, List<Policy> policies) {
        this(enabled, maxBytes, ttl, sharedNamespace, coalesce, retryAfterLeaderError, cacheUnseededSampling,
                idempotencyWindow, idempotencyMaxBytes, policies, NearDuplicate.OFF);
    }

    /**
     * Questions that differ only in wording share an answer: the last user message is embedded by
     * {@code embeddingsModel} (a model of this gateway, called through it, so metered and attributed to the caller),
     * and a stored answer to a question of the same context whose embedding has at least {@code threshold} cosine
     * similarity is served. Off by default.
     *
     * @param maxQuestions questions indexed per context (same deployment, parameters and earlier messages)
     */
    public record NearDuplicate(boolean enabled, String embeddingsModel, double threshold, int maxQuestions) {
        public static final NearDuplicate OFF = new NearDuplicate(false, "text-embedding-3-small", 0.80, 10_000);
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");

    public CacheConfig {
        policies = policies == null ? List.of() : List.copyOf(policies);
        nearDuplicate = nearDuplicate == null ? NearDuplicate.OFF : nearDuplicate;
    }

    /**
     * One scope's rule. A scope names a model (as clients ask for it), a virtual key's name, or a tag
     * ({@code team=search}); a rule with several matches only when all do.
     *
     * @param enabled         null keeps the section's setting
     * @param ttl             null keeps the section's TTL
     * @param sharedNamespace null keeps the section's namespace rule
     * @param similarityThreshold null keeps the near-duplicate threshold of the section
     */
    public record Policy(String model, String key, String tagName, String tagValue, Boolean enabled, Duration ttl,
                         String sharedNamespace, Double similarityThreshold) {

        public Policy(String model, String key, String tagName, String tagValue, Boolean enabled, Duration ttl,
                      String sharedNamespace) {
            this(model, key, tagName, tagValue, enabled, ttl, sharedNamespace, null);
        }
    }

    /**
     * Checks that what the cache may hold fits the heap it lives in ({@code maxHeapBytes}): at most half of it, the rest
     * being the gateway's own (about 60 MiB live) and the ledger rows waiting. Answers count when the cache is on for
     * anyone, idempotent answers whenever the window is open. Without this, bounds above the heap are an
     * OutOfMemoryError under traffic whose answers all differ, instead of a line at start.
     */
    public void checkFitsHeap(long maxHeapBytes) {
        boolean answers = enabled || policies.stream().anyMatch(p -> Boolean.TRUE.equals(p.enabled()));
        long held = (answers ? maxBytes : 0) + (idempotencyWindow.isZero() ? 0 : idempotencyMaxBytes);
        if (held > maxHeapBytes / 2) {
            throw new ConfigException("cache: max_bytes (" + mib(maxBytes) + ") and idempotency_max_bytes ("
                    + mib(idempotencyMaxBytes) + ") may hold " + mib(held) + ", more than half of the gateway's "
                    + mib(maxHeapBytes) + " heap; lower them or give the heap more (TOLLGATE_HEAP_MAX)");
        }
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }

    /** Parses the section; a missing section is {@link #DEFAULTS}. */
    public static CacheConfig parse(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull()) return DEFAULTS;
        if (!n.isObject()) throw new ConfigException("cache must be a mapping");
        CacheConfig d = DEFAULTS;
        String onError = n.path("on_leader_error").asText("fail");
        if (!onError.equals("fail") && !onError.equals("retry")) {
            throw new ConfigException("cache.on_leader_error must be 'fail' or 'retry', not " + onError);
        }
        long maxBytes = n.path("max_bytes").asLong(d.maxBytes());
        if (maxBytes < 1) throw new ConfigException("cache.max_bytes must be positive");
        List<Policy> policies = new ArrayList<>();
        for (JsonNode p : n.path("policies")) policies.add(policy(p, policies.size()));
        return new CacheConfig(n.path("enabled").asBoolean(d.enabled()), maxBytes,
                duration(n.get("ttl"), d.ttl(), "cache.ttl"), text(n, "shared_namespace"),
                n.path("coalesce").asBoolean(d.coalesce()), onError.equals("retry"),
                n.path("cache_unseeded_sampling").asBoolean(d.cacheUnseededSampling()),
                duration(n.get("idempotency_window"), d.idempotencyWindow(), "cache.idempotency_window"),
                n.path("idempotency_max_bytes").asLong(d.idempotencyMaxBytes()), policies,
                nearDuplicate(n.path("near_duplicate")), Redis.parse(n.get("redis")));
    }

    private static NearDuplicate nearDuplicate(JsonNode n) {
        NearDuplicate d = NearDuplicate.OFF;
        if (n.isMissingNode() || n.isNull()) return d;
        double threshold = n.path("threshold").asDouble(d.threshold());
        if (!(threshold > 0 && threshold <= 1)) throw new ConfigException("cache.near_duplicate.threshold must be within (0, 1]");
        return new NearDuplicate(n.path("enabled").asBoolean(false), n.path("embeddings_model").asText(d.embeddingsModel()),
                threshold, n.path("max_questions").asInt(d.maxQuestions()));
    }

    private static Policy policy(JsonNode p, int index) {
        String where = "cache.policies[" + index + "]";
        String tag = text(p, "tag");
        String tagName = null, tagValue = null;
        if (tag != null) {
            int eq = tag.indexOf('=');
            if (eq < 1) throw new ConfigException(where + ".tag must look like name=value, not " + tag);
            tagName = tag.substring(0, eq).trim();
            tagValue = tag.substring(eq + 1).trim();
        }
        String model = text(p, "model"), key = text(p, "key");
        if (model == null && key == null && tagName == null) {
            throw new ConfigException(where + " needs a scope: model, key or tag");
        }
        Double similarity = p.has("similarity_threshold") ? p.get("similarity_threshold").asDouble() : null;
        if (similarity != null && !(similarity > 0 && similarity <= 1)) {
            throw new ConfigException(where + ".similarity_threshold must be within (0, 1]");
        }
        return new Policy(model, key, tagName, tagValue, p.has("enabled") ? p.get("enabled").asBoolean() : null,
                p.has("ttl") ? duration(p.get("ttl"), null, where + ".ttl") : null, text(p, "shared_namespace"), similarity);
    }

    /** "90s", "10m", "1h", "7d", "500ms", or a number of seconds. */
    static Duration duration(JsonNode node, Duration fallback, String where) {
        if (node == null || node.isNull()) return fallback;
        if (node.isNumber()) return Duration.ofSeconds(node.asLong());
        Matcher m = DURATION.matcher(node.asText().trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) throw new ConfigException(where + " must be a duration such as 90s, 10m, 1h or 7d, not " + node.asText());
        long v = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(v);
            case "s" -> Duration.ofSeconds(v);
            case "m" -> Duration.ofMinutes(v);
            case "h" -> Duration.ofHours(v);
            default -> Duration.ofDays(v);
        };
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
