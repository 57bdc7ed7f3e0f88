package dev.tollgate.sandbox;

import java.time.Duration;
import java.util.Objects;

/**
 * How the sandbox behaves: its pacing, its default answer length and how often it fails. Immutable; build one with
 * {@link #builder()}. The defaults answer at once, never fail, and are what Tollgate's own tests and benchmarks use.
 *
 * @param latency             added before the response head of a non-streamed answer
 * @param timeToFirstToken    added before the first content event of a stream (its head is sent at once)
 * @param tokensPerSecond     stream pacing after the first token; 0 sends the whole stream as fast as possible
 * @param defaultOutputTokens answer length when neither the request's cap nor {@code x-sandbox-output-tokens} is lower
 * @param faultRate5xx        probability (0..1) of a 500 error
 * @param faultRate429        probability of a 429 rate-limit error
 * @param faultRateTimeout    probability of never answering
 * @param faultRateCut        probability of closing the connection mid-answer
 * @param retryAfterSeconds   the {@code retry-after} a 429 carries
 * @param reasoningShare      share (0..1) of a reasoning model's output tokens reported as reasoning tokens
 * @param seed                varies the generated text and the embedding vectors; equal seeds give equal answers
 */
public record SandboxConfig(
        Duration latency,
        Duration timeToFirstToken,
        double tokensPerSecond,
        int defaultOutputTokens,
        double faultRate5xx,
        double faultRate429,
        double faultRateTimeout,
        double faultRateCut,
        int retryAfterSeconds,
        double reasoningShare,
        long seed) {

    public SandboxConfig {
        Objects.requireNonNull(latency, "latency");
        Objects.requireNonNull(timeToFirstToken, "timeToFirstToken");
        if (latency.isNegative() || timeToFirstToken.isNegative()) throw new IllegalArgumentException("negative delay");
        if (tokensPerSecond < 0) throw new IllegalArgumentException("tokensPerSecond must be >= 0");
        if (defaultOutputTokens < 0) throw new IllegalArgumentException("defaultOutputTokens must be >= 0");
        requireProbability("faultRate5xx", faultRate5xx);
        requireProbability("faultRate429", faultRate429);
        requireProbability("faultRateTimeout", faultRateTimeout);
        requireProbability("faultRateCut", faultRateCut);
        requireProbability("reasoningShare", reasoningShare);
        if (faultRate5xx + faultRate429 + faultRateTimeout + faultRateCut > 1.0) {
            throw new IllegalArgumentException("fault rates add up to more than 1");
        }
        if (retryAfterSeconds < 0) throw new IllegalArgumentException("retryAfterSeconds must be >= 0");
    }

    /** Zero latency, no faults, 32 output tokens, half of a reasoning model's output reported as reasoning. */
    public static SandboxConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .latency(latency).timeToFirstToken(timeToFirstToken).tokensPerSecond(tokensPerSecond)
                .defaultOutputTokens(defaultOutputTokens).faultRate5xx(faultRate5xx).faultRate429(faultRate429)
                .faultRateTimeout(faultRateTimeout).faultRateCut(faultRateCut).retryAfterSeconds(retryAfterSeconds)
                .reasoningShare(reasoningShare).seed(seed);
    }

    private static void requireProbability(String name, double p) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException(name + " must be within 0..1, was " + p);
    }

    public static final class Builder {
        private Duration latency = Duration.ZERO;
        private Duration timeToFirstToken = Duration.ZERO;
        private double tokensPerSecond;
        private int defaultOutputTokens = 32;
        private double faultRate5xx;
        private double faultRate429;
        private double faultRateTimeout;
        private double faultRateCut;
        private int retryAfterSeconds = 1;
        private double reasoningShare = 0.5;
        private long seed;

        private Builder() {
        }

        public Builder latency(Duration latency) {
            this.latency = latency;
            return this;
        }

        public Builder timeToFirstToken(Duration timeToFirstToken) {
            this.timeToFirstToken = timeToFirstToken;
            return this;
        }

        public Builder tokensPerSecond(double tokensPerSecond) {
            this.tokensPerSecond = tokensPerSecond;
            return this;
        }

        public Builder defaultOutputTokens(int defaultOutputTokens) {
            this.defaultOutputTokens = defaultOutputTokens;
            return this;
        }

        public Builder faultRate5xx(double faultRate5xx) {
            this.faultRate5xx = faultRate5xx;
            return this;
        }

        public Builder faultRate429(double faultRate429) {
            this.faultRate429 = faultRate429;
            return this;
        }

        public Builder faultRateTimeout(double faultRateTimeout) {
            this.faultRateTimeout = faultRateTimeout;
            return this;
        }

        public Builder faultRateCut(double faultRateCut) {
            this.faultRateCut = faultRateCut;
            return this;
        }

        public Builder retryAfterSeconds(int retryAfterSeconds) {
            this.retryAfterSeconds = retryAfterSeconds;
            return this;
        }

        public Builder reasoningShare(double reasoningShare) {
            this.reasoningShare = reasoningShare;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public SandboxConfig build() {
            return new SandboxConfig(latency, timeToFirstToken, tokensPerSecond, defaultOutputTokens, faultRate5xx,
                    faultRate429, faultRateTimeout, faultRateCut, retryAfterSeconds, reasoningShare, seed);
        }
    }
}
