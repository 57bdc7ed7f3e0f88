package dev.tollgate.sandbox;

import java.util.List;

/** The visible text of an answer and the pieces a stream delivers it in: generated prose, or a given reply. */
final class AnswerText {

    private final TextGenerator prose;
    private final int tokens;
    private final String reply;
    private final List<String> fragments;

    private AnswerText(TextGenerator prose, int tokens, String reply) {
        this.prose = prose;
        this.tokens = tokens;
        this.reply = reply;
        this.fragments = reply == null ? List.of() : ToolCalls.fragments(reply);
    }

    /** Prose of exactly {@code tokens} tokens, streamed one token per piece. */
    static AnswerText prose(TextGenerator text, int tokens) {
        return new AnswerText(text, tokens, null);
    }

    /** A given reply, streamed in small fragments. */
    static AnswerText reply(String reply) {
        return new AnswerText(null, 0, reply);
    }

    int pieces() {
        return reply == null ? tokens : fragments.size();
    }

    String piece(int index) {
        return reply == null ? prose.piece(index) : fragments.get(index);
    }

    String text() {
        return reply == null ? prose.text(tokens) : reply;
    }
}
