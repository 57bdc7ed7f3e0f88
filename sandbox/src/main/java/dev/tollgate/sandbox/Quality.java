package dev.tollgate.sandbox;

import io.vertx.core.http.HttpServerRequest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A sandbox model's controlled quality: the share of prompts it answers right. Whether one prompt is answered right
 * is decided by the prompt alone, so the same prompt always gets the same answer: its draw, the first 53 bits of the
 * SHA-256 of its UTF-8 bytes as a fraction of 2^53, is below the quality. Set by {@code x-sandbox-quality: 0..1}
 * (a provider in the gateway configuration can send it with {@code headers:}); without it every answer is right.
 */
final class Quality {

    static final String HEADER = "x-sandbox-quality";

    private Quality() {
    }

    /** The request's quality, 1 when the header is absent or not a number within 0..1. */
    static double of(HttpServerRequest request) {
        String value = request.getHeader(HEADER);
        if (value == null) return 1.0;
        try {
            double q = Double.parseDouble(value.trim());
            return q >= 0 && q <= 1 ? q : 1.0;
        } catch (NumberFormatException e) {
            return 1.0;
        }
    }

    /** Whether a model of {@code quality} answers {@code prompt} right. */
    static boolean right(double quality, String prompt) {
        return draw(prompt) < quality;
    }

    /** The prompt's draw in [0, 1). */
    static double draw(String prompt) {
        return (seed(prompt) >>> 11) / (double) (1L << 53);
    }

    /** The first 8 bytes of the prompt's SHA-256, big-endian: also the seed of a JSON answer's values. */
    static long seed(String prompt) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(prompt.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        long seed = 0;
        for (int i = 0; i < 8; i++) seed = seed << 8 | (digest[i] & 0xff);
        return seed;
    }
}
