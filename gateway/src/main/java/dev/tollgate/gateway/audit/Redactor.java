package dev.tollgate.gateway.audit;

import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes secrets and personal data from prompt text before it is stored: API keys and tokens of the common
 * providers, bearer tokens, private keys, {@code password=…}-style assignments, e-mail addresses, card numbers (only
 * digit runs that pass the Luhn check, so order numbers stay) and phone numbers. Each is replaced by a marker
 * naming what was there ({@code [SECRET]}, {@code [EMAIL]}, {@code [CARD]}, {@code [PHONE]}), which also lets the
 * template miner see them as one recurring token. Errs on the side of removing: a 9+ digit number may go as a phone.
 * E-mail addresses written out to dodge scrapers ("jane [at] example [dot] com") and card numbers grouped by dots are
 * caught too. No maintained detector library exists for the JVM that would replace these rules (Presidio and
 * gitleaks are Python and Go); RedactorTest holds a corpus of real-looking secrets and of text that must stay.
 */
public final class Redactor {

    public static final String SECRET = "[SECRET]";
    public static final String EMAIL = "[EMAIL]";
    public static final String CARD = "[CARD]";
    public static final String PHONE = "[PHONE]";

    /**
     * One kind of datum: a cheap test that the text may hold it (a literal, a character), the pattern, its marker, and
     * a check of each match (Luhn, digit count). The cheap test spares most texts most patterns.
     */
    private record Rule(Predicate<String> mayContain, Pattern pattern, String replacement, Predicate<String> applies) {
        Rule(Predicate<String> mayContain, String regex, String replacement) {
            this(mayContain, Pattern.compile(regex), replacement, s -> true);
        }
    }

    private static Predicate<String> has(String... literals) {
        return text -> {
            for (String l : literals) if (text.contains(l)) return true;
            return false;
        };
    }

    /** A dot spelt out ("[dot]", "(dot)", " dot "); {@code ANY_DOT} also takes a plain "."; the at in brackets. */
    private static final String SPOKEN_DOT = "(?:\\s*[\\[({<]\\s*dot\\s*[\\])}>]\\s*|\\s+dot\\s+)";
    private static final String ANY_DOT = "(?:" + SPOKEN_DOT + "|\\.)";
    private static final String BRACKETED_AT = "[\\[({<]\\s*at\\s*[\\])}>]";
    /** An address's local part, perhaps with spelt-out dots, starting at the beginning of a word. */
    private static final String LOCAL = "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+(?:" + SPOKEN_DOT + "[A-Za-z0-9_%+-]+)*";

    /** A domain whose labels are joined by {@code dot} and which ends in a top-level domain of letters. */
    private static String domain(String dot) {
        return "[A-Za-z0-9-]+(?:" + dot + "[A-Za-z0-9-]+)*" + dot + "[A-Za-z]{2,}\\b";
    }

    private static final List<Rule> RULES = List.of(
            new Rule(has("PRIVATE KEY-----"), "-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----", SECRET),
            new Rule(has("earer", "EARER", "asic", "ASIC"), "(?i)\\b(bearer|basic)\\s+[A-Za-z0-9._~+/=-]{8,}", "$1 " + SECRET),
            // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), AWS access key ids, GitHub, Slack, Google API keys, JWTs
            // sk- keys of every length providers and proxies hand out (LiteLLM's virtual keys are sk- and 22 characters)
            new Rule(has("sk-"), "\\bsk-[A-Za-z0-9_-]{10,}", SECRET),
            new Rule(has("AKIA", "ASIA"), "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b", SECRET),
            new Rule(has("gh", "github_pat_"), "\\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})", SECRET),
            new Rule(has("xox"), "\\bxox[abprs]-[A-Za-z0-9-]{10,}", SECRET),
            new Rule(has("AIza"), "\\bAIza[0-9A-Za-z_-]{35}", SECRET),
            new Rule(has("eyJ"), "\\beyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}", SECRET),
            new Rule(has("=", ":"), "(?i)\\b(api[_-]?key|secret|client[_-]?secret|password|passwd|pwd|access[_-]?token|auth[_-]?token|token)"
                    + "(\"?\\s*[:=]\\s*\"?)[^\\s\"',;]{4,}", "$1$2" + SECRET),
            // the look-behind starts a match only at the beginning of a word, so a long word is not rescanned from each letter
            new Rule(has("@"), "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}", EMAIL),
            // written out to dodge scrapers: "jane(at)example.com", "jane [at] example [dot] com", "jane dot doe at
            // example dot com"; a spoken " at " counts only with a spoken dot, so "look at example.com" stays
            new Rule(has("at)", "at]", "at}", "at>", "at )", "at ]", "AT)", "AT]", "AT}", "AT>"), "(?i)" + LOCAL + "\\s*" + BRACKETED_AT + "\\s*" + domain(ANY_DOT), EMAIL),
            new Rule(has("dot", "DOT"), "(?i)" + LOCAL + "\\s+at\\s+" + domain(SPOKEN_DOT), EMAIL),
            // grouped by spaces, dashes or dots (4111.1111.1111.1111), or not at all
            new Rule(Redactor::hasLongNumber, Pattern.compile("(?<![\\w-])\\d(?:[ .-]?\\d){12,18}(?![\\w-]|\\.\\d)"), CARD, Redactor::isCardNumber),
            new Rule(Redactor::hasLongNumber, Pattern.compile("(?<![\\w+])\\+?\\(?\\d[\\d ().-]{6,}\\d(?!\\w)"), PHONE, Redactor::isPhoneNumber));

    /** Whether the text has 8 digits or more: no phone or card number without. */
    private static boolean hasLongNumber(String text) {
        int digits = 0;
        for (int i = 0; i < text.length(); i++) {
            if (Character.isDigit(text.charAt(i)) && ++digits >= 8) return true;
        }
        return false;
    }

    private Redactor() {
    }

    /** The text with every secret and personal datum replaced by its marker; null stays null. */
    public static String redact(String text) {
        if (text == null || text.isEmpty()) return text;
        String out = text;
        for (Rule rule : RULES) {
            if (rule.mayContain().test(out)) out = apply(rule, out);
        }
        return out;
    }

    private static String apply(Rule rule, String text) {
        Matcher m = rule.pattern().matcher(text);
        if (!m.find()) return text;
        StringBuilder sb = new StringBuilder(text.length());
        do {
            String replacement = rule.applies().test(m.group()) ? rule.replacement() : Matcher.quoteReplacement(m.group());
            m.appendReplacement(sb, replacement);
        } while (m.find());
        m.appendTail(sb);
        return sb.toString();
    }

    /** 13 to 19 digits that pass the Luhn checksum, as every payment card number does. */
    static boolean isCardNumber(String candidate) {
        String digits = candidate.replaceAll("[^0-9]", "");
        if (digits.length() < 13 || digits.length() > 19) return false;
        int sum = 0;
        boolean doubled = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (doubled) {
                d *= 2;
                if (d > 9) d -= 9;
            }
            sum += d;
            doubled = !doubled;
        }
        return sum % 10 == 0;
    }

    /** 9 to 15 digits (E.164's maximum), or 8 with a leading +; dates and short numbers are left alone. */
    static boolean isPhoneNumber(String candidate) {
        int digits = 0;
        for (int i = 0; i < candidate.length(); i++) if (Character.isDigit(candidate.charAt(i))) digits++;
        if (candidate.matches("\\d{4}-\\d{2}-\\d{2}.*")) return false; // an ISO date, maybe with more after it
        if (candidate.matches("\\d+\\.\\d+")) return false; // a decimal number (3.14159265358979)
        return digits <= 15 && (digits >= 9 || (candidate.startsWith("+") && digits >= 8));
    }
}
