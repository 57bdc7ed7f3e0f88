package dev.tollgate.sandbox;

import java.util.Locale;

/** The share of an answer a reasoning model spends thinking: counted in its output tokens, never shown. */
final class Reasoning {

    private Reasoning() {
    }

    static boolean isReasoningModel(String model) {
        String m = model.toLowerCase(Locale.ROOT);
        int slash = m.lastIndexOf('/');
        if (slash >= 0) m = m.substring(slash + 1);
        return m.startsWith("o1") || m.startsWith("o3") || m.startsWith("o4") || m.startsWith("gpt-5");
    }

    /** Reasoning tokens within {@code outputTokens} for this model (0 for the others). */
    static int tokens(SandboxConfig config, String model, int outputTokens) {
        return isReasoningModel(model) ? (int) Math.round(config.reasoningShare() * outputTokens) : 0;
    }
}
