package dev.tollgate.sandbox;

import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The answer a sandbox model gives when the request says what it wants, right or wrong as its {@link Quality}
 * decides for the prompt (the last user message):
 * <ul>
 * <li>Structured output with a JSON schema: right, a JSON instance valid against it ({@link SchemaSampler}); wrong,
 *     JSON the schema rejects.</li>
 * <li>{@code json_object}: right, {@code {"answer": …}}; wrong, prose (not JSON).</li>
 * <li>A grading prompt, with {@code <reference>R</reference>} and {@code <answer>A</answer>}: right, {@code PASS} when
 *     A equals R (trimmed, case and runs of white space ignored) and {@code FAIL} otherwise, then a reason; wrong, the
 *     other verdict. Without a reference the right verdict is PASS.</li>
 * <li>A line {@code Reply with exactly: X}: right, X; wrong, prose.</li>
 * </ul>
 * Any other request gets prose, as without a quality.
 */
final class Reply {

    private static final Pattern EXACTLY = Pattern.compile("(?i)reply with exactly:([^\\r\\n]*)");
    private static final Pattern REFERENCE = Pattern.compile("(?s)<reference>(.*?)</reference>");
    private static final Pattern ANSWER = Pattern.compile("(?s)<answer>(.*)</answer>");

    private Reply() {
    }

    /** What the model replies, or null to answer with prose. */
    static String decide(String prompt, double quality, OutputFormat format) {
        BooleanSupplier right = () -> Quality.right(quality, prompt);
        if (format != null && format.schema() != null) {
            SchemaSampler sampler = new SchemaSampler(format.schema(), Quality.seed(prompt));
            return Json.write(right.getAsBoolean() ? sampler.valid() : sampler.invalid());
        }
        String exactly = exactly(prompt);
        if (format != null) {
            if (!right.getAsBoolean()) return null;
            return Json.write(Json.object().put("answer", exactly != null ? exactly : "sample answer"));
        }
        Matcher answer = ANSWER.matcher(prompt);
        if (answer.find()) {
            Matcher reference = REFERENCE.matcher(prompt);
            if (!reference.find()) return right.getAsBoolean() ? "PASS: there is no reference to hold it against." : "FAIL: it does not convince me.";
            boolean matches = normalize(reference.group(1)).equals(normalize(answer.group(1)));
            return matches == right.getAsBoolean() ? "PASS: the answer matches the reference." : "FAIL: the answer does not match the reference.";
        }
        return exactly != null && right.getAsBoolean() ? exactly : null;
    }

    /** X of the last line "Reply with exactly: X", or null. */
    static String exactly(String prompt) {
        Matcher m = EXACTLY.matcher(prompt);
        String last = null;
        while (m.find()) last = m.group(1).strip();
        return last == null || last.isEmpty() ? null : last;
    }

    private static String normalize(String s) {
        return s.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }
}
