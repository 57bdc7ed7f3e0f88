package dev.tollgate.core.tokens;

import java.util.Locale;

/**
 * The most tokens one image in a prompt can be billed as, by model family. A budget reserves it for every image
 * before the call, as the image's size (and so its real count) is not known from its URL or bytes without decoding it.
 */
public final class ImageTokens {

    /**
     * gpt-4o-mini bills an image at 2,833 tokens plus 5,667 per 512-px tile; at high detail an image is scaled to fit
     * 2048 x 2048 and then to 768 px on its short side, so at most 768 x 2048: eight tiles.
     */
    static final long GPT_4O_MINI = 2_833 + 8 * 5_667;
    /**
     * Anthropic scales an image down to at most 1568 px on its long edge and about 1.15 megapixels, which is about
     * 1,600 tokens (width x height / 750).
     */
    static final long CLAUDE = 1_600;
    /**
     * OpenAI's other vision models: tile-based ones at most 85 + 8 x 170 = 1,445 tokens (gpt-4o, gpt-4.1; o1 and o3
     * 1,275; gpt-5 1,190), patch-based ones at most 1,536 patches times their multiplier, of which gpt-4.1-nano's and
     * gpt-5-nano's (2.46) is the largest. Also the assumption for models of other families.
     */
    static final long OTHER = 3_779;

    private ImageTokens() {
    }

    public static long worstCase(String model) {
        String name = model == null ? "" : model.toLowerCase(Locale.ROOT);
        name = name.substring(name.lastIndexOf('/') + 1);
        if (name.startsWith("gpt-4o-mini")) return GPT_4O_MINI;
        if (name.startsWith("claude")) return CLAUDE;
        return OTHER;
    }
}
