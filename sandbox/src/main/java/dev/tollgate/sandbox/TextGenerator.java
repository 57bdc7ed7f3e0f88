package dev.tollgate.sandbox;

import java.util.SplittableRandom;

/**
 * Answer text of an exact token length. Every piece (" cost", " token", ".") is one token in both o200k_base and
 * cl100k_base and starts a new pre-token, so N pieces count as exactly N tokens with either encoding: a gateway that
 * counts a broken stream locally arrives at the number the sandbox would have reported.
 *
 * <p>The text is a prefix of one fixed cycle of sentences, precomputed once, so an answer costs a substring.
 */
final class TextGenerator {

    private static final String[] OPENERS = {" The", " A", " This", " Every"};
    private static final String[] WORDS = {
            " cost", " token", " of", " the", " and", " to", " a", " in", " is", " that", " for", " it", " with",
            " as", " on", " be", " at", " by", " this", " from", " or", " an", " are", " price", " model", " request",
            " budget", " team", " call", " each", " every", " we", " can", " will", " more", " less", " low", " high",
            " fast", " time", " data", " use", " user", " value", " rate", " small", " large", " input", " output",
            " month", " day", " spend", " save", " plan", " word", " text", " answer", " simple", " clear", " good",
            " new", " all", " one", " two", " when", " then", " here", " our", " your", " its", " per", " bill",
            " cache", " count"};
    private static final int CYCLE_TOKENS = 8192;

    /** The cycle starts with a space ("␣The …") so that it can repeat; an answer drops that first space. */
    private final String cycle;
    /** ends[i] = end offset in {@link #cycle} of its first i pieces. */
    private final int[] ends = new int[CYCLE_TOKENS + 1];
    private final String[] pieces = new String[CYCLE_TOKENS];
    private final String firstPiece;

    TextGenerator(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder text = new StringBuilder(CYCLE_TOKENS * 6);
        int i = 0;
        while (i < CYCLE_TOKENS) {
            // A sentence: opener, 5 to 14 words, a period; the cycle ends on a period so it can repeat.
            int left = CYCLE_TOKENS - i;
            int words = left <= 16 ? left - 2 : left <= 32 ? left / 2 - 2 : 5 + random.nextInt(10);
            i = append(text, i, OPENERS[random.nextInt(OPENERS.length)]);
            for (int w = 0; w < words; w++) i = append(text, i, WORDS[random.nextInt(WORDS.length)]);
            i = append(text, i, ".");
        }
        cycle = text.toString();
        firstPiece = pieces[0].substring(1);
    }

    private int append(StringBuilder text, int index, String piece) {
        text.append(piece);
        pieces[index] = piece;
        ends[index + 1] = text.length();
        return index + 1;
    }

    /** Text of exactly {@code tokens} tokens. */
    String text(int tokens) {
        if (tokens <= 0) return "";
        if (tokens <= CYCLE_TOKENS) return cycle.substring(1, ends[tokens]);
        StringBuilder text = new StringBuilder(cycle.length() * (tokens / CYCLE_TOKENS + 1));
        int left = tokens;
        while (left > CYCLE_TOKENS) {
            text.append(cycle);
            left -= CYCLE_TOKENS;
        }
        text.append(cycle, 0, ends[left]);
        return text.substring(1);
    }

    /** The i-th one-token piece of an answer, as a stream delivers them; {@code text(n)} joins pieces 0..n-1. */
    String piece(int index) {
        return index == 0 ? firstPiece : pieces[index % CYCLE_TOKENS];
    }
}
