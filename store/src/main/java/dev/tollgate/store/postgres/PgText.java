package dev.tollgate.store.postgres;

/**
 * Text as PostgreSQL can keep it. Its {@code text} cannot hold the character U+0000 ("invalid byte sequence for
 * encoding UTF8: 0x00") nor its {@code jsonb} the escape {@code \u0000}, and one such value fails its whole batch
 * or COPY. A prompt, an answer or a provider's error message may carry one (JSON allows it), so it is stored as
 * U+FFFD, the replacement character, as a decoder shows a byte it cannot read.
 */
final class PgText {

    static final char REPLACEMENT = '\uFFFD';

    private PgText() {
    }

    /** {@code s} with every U+0000 replaced by U+FFFD; {@code s} itself (or null) when it has none. */
    static String of(String s) {
        return s == null || s.indexOf('\0') < 0 ? s : s.replace('\0', REPLACEMENT);
    }
}
