package dev.tollgate.app;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The commands of README.md's {@code console} blocks with the output shown under each, and the comparison of a command's
 * real output with that shown output by shape: the same lines with numbers, ids and absolute paths left out.
 */
final class ReadmeConsole {

    /** What marks (in any case) a command, or in the paragraph right above a whole block, that the README test leaves out; the reason follows. */
    static final String SKIP_MARKER = "not run by the readme test";

    /** One {@code $ } command of the README: its first line's number, its text (continuation lines included), the output shown. */
    record Command(int line, String text, List<String> shown, String skipReason) {
        /** {@code $ # the same request again:} asks for the command above once more; its output is shown under it. */
        boolean repeatsPrevious() {
            return text.startsWith("#") && SAME_AGAIN.matcher(text).find();
        }
    }

    private static final Pattern SAME_AGAIN = Pattern.compile("the same\\b.*\\bagain");
    private static final Pattern FENCE = Pattern.compile("^(\\s*)```\\s*(\\w*)\\s*$");

    private ReadmeConsole() {}

    static List<Command> parse(List<String> readme) {
        List<Command> commands = new ArrayList<>();
        for (int i = 0; i < readme.size(); i++) {
            Matcher fence = FENCE.matcher(readme.get(i));
            if (!fence.matches()) continue;
            String indent = fence.group(1);
            boolean console = fence.group(2).equals("console");
            String blockSkip = console ? blockSkipReason(readme, i) : null;
            int j = i + 1;
            String text = null;
            int start = 0;
            List<String> shown = null;
            while (j < readme.size() && !FENCE.matcher(readme.get(j)).matches()) {
                String line = readme.get(j).startsWith(indent) ? readme.get(j).substring(indent.length()) : readme.get(j);
                if (console && line.startsWith("$ ")) {
                    if (text != null) commands.add(command(start, text, shown, blockSkip));
                    start = j + 1;
                    StringBuilder command = new StringBuilder(line.substring(2));
                    while (!complete(command.toString()) && j + 1 < readme.size()) {
                        j++;
                        String next = readme.get(j).startsWith(indent) ? readme.get(j).substring(indent.length()) : readme.get(j);
                        command.append('\n').append(next);
                    }
                    text = command.toString();
                    shown = new ArrayList<>();
                } else if (shown != null) {
                    shown.add(line);
                }
                j++;
            }
            if (text != null) commands.add(command(start, text, shown, blockSkip));
            i = j;   // the closing fence
        }
        return commands;
    }

    private static Command command(int line, String text, List<String> shown, String blockSkip) {
        int marker = text.toLowerCase(java.util.Locale.ROOT).indexOf(SKIP_MARKER);
        String reason = marker >= 0 ? text.substring(marker + SKIP_MARKER.length()).replaceFirst("^[:\\s]+", "").trim() : blockSkip;
        return new Command(line, text, List.copyOf(shown), reason);
    }

    /** The paragraph right above a block: when it holds the marker, the sentence from the marker on is the reason. */
    private static String blockSkipReason(List<String> readme, int fence) {
        StringBuilder paragraph = new StringBuilder();
        int last = fence - 1;
        while (last >= 0 && readme.get(last).isBlank()) last--;
        for (int k = last; k >= 0 && !readme.get(k).isBlank() && !readme.get(k).strip().startsWith("```"); k--) paragraph.insert(0, readme.get(k) + " ");
        int marker = paragraph.toString().toLowerCase(java.util.Locale.ROOT).indexOf(SKIP_MARKER);
        if (marker < 0) return null;
        String rest = paragraph.substring(marker + SKIP_MARKER.length()).replaceFirst("^[:\\s]+", "");
        int end = rest.indexOf(')');
        return (end >= 0 ? rest.substring(0, end) : rest).trim();
    }

    /** Whether a command's text is whole: no quote left open, no trailing backslash (bash's own rules, as far as README uses them). */
    static boolean complete(String text) {
        char quote = 0;
        for (int k = 0; k < text.length(); k++) {
            char c = text.charAt(k);
            if (quote == '\'') {
                if (c == '\'') quote = 0;
            } else if (quote == '"') {
                if (c == '\\') k++;
                else if (c == '"') quote = 0;
            } else if (c == '\\') {
                if (k == text.length() - 1) return false;
                k++;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '#' && (k == 0 || Character.isWhitespace(text.charAt(k - 1)))) {
                int eol = text.indexOf('\n', k);
                if (eol < 0) return true;
                k = eol;
            }
        }
        return quote == 0;
    }

    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;?]*[A-Za-z]");
    private static final Pattern ABSOLUTE_PATH = Pattern.compile("(?:/[\\w.@+-]+)+/(data|examples)/");
    /** A generated id: letters and digits mixed, or a long run of mixed-case letters (a random id may hold no digit). */
    private static final Pattern ID = Pattern.compile("(?<![A-Za-z0-9])(?:(?=[A-Za-z0-9]*\\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{10,}"
            + "|(?=[A-Za-z]*[a-z])(?=[A-Za-z]*[A-Z])[A-Za-z]{16,})(?![A-Za-z0-9])");
    private static final Pattern NUMBER = Pattern.compile("[-+]?\\$?\\d+(?:,\\d{3})*(?:\\.\\d+)?(?:[eE][-+]?\\d+)?%?");

    /** A line's shape: numbers, ids and absolute paths to the checkout left out, runs of space and of dashes as one. */
    static String shape(String line) {
        String s = ANSI.matcher(line).replaceAll("");
        s = ABSOLUTE_PATH.matcher(s).replaceAll("PATH/$1/");
        s = ID.matcher(s).replaceAll("ID");
        s = NUMBER.matcher(s).replaceAll("0");
        return s.replaceAll("-{2,}", "--").replaceAll("\\s+", " ").trim();
    }

    /**
     * The shown lines that no line of the real output matches by shape; empty when the output agrees with README. A shown
     * line {@code …} stands for lines left out; a shown line holding {@code …} matches a line holding its other parts in
     * order. Lines may come in another order (a table sorted by amounts that differ), each real line matches once.
     */
    static List<String> unmatched(List<String> shownLines, List<String> actual) {
        List<String> shown = joinJson(shownLines);
        List<String> shapes = new ArrayList<>(actual.stream().map(ReadmeConsole::shape).toList());
        boolean[] used = new boolean[shapes.size()];
        List<String> missing = new ArrayList<>();
        for (String line : shown) {
            if (line.isBlank() || line.strip().equals("…")) continue;
            List<String> parts = new ArrayList<>();
            for (String part : line.split("…")) if (!shape(part).isEmpty()) parts.add(shape(part));
            boolean found = false;
            for (int k = 0; k < shapes.size() && !found; k++) {
                if (!used[k] && containsInOrder(shapes.get(k), parts, line.contains("…"))) used[k] = found = true;
            }
            if (!found) missing.add(line);
        }
        return missing;
    }

    /** README breaks long JSON over lines to be read; the gateway prints it on one: a JSON value shown so is joined again. */
    static List<String> joinJson(List<String> lines) {
        List<String> joined = new ArrayList<>();
        for (int k = 0; k < lines.size(); k++) {
            String line = lines.get(k);
            if (!line.startsWith("{") && !line.startsWith("[")) {
                joined.add(line);
                continue;
            }
            StringBuilder json = new StringBuilder(line.strip());
            int depth = depth(line);
            while (depth > 0 && k + 1 < lines.size() && lines.get(k + 1).startsWith(" ")) {
                k++;
                json.append(lines.get(k).strip());
                depth += depth(lines.get(k));
            }
            joined.add(json.toString());
        }
        return joined;
    }

    /** Brackets opened less those closed, outside JSON strings. */
    private static int depth(String text) {
        int depth = 0;
        boolean string = false;
        for (int k = 0; k < text.length(); k++) {
            char c = text.charAt(k);
            if (string) {
                if (c == '\\') k++;
                else if (c == '"') string = false;
            } else if (c == '"') string = true;
            else if (c == '{' || c == '[') depth++;
            else if (c == '}' || c == ']') depth--;
        }
        return depth;
    }

    private static boolean containsInOrder(String shape, List<String> parts, boolean elided) {
        if (!elided) return parts.size() == 1 && shape.equals(parts.getFirst());
        int from = 0;
        for (String part : parts) {
            int at = shape.indexOf(part, from);
            if (at < 0) return false;
            from = at + part.length();
        }
        return true;
    }
}
