package dev.tollgate.gateway.observe;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads samples out of Prometheus' text exposition format, for assertions. */
public final class PrometheusText {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;

    public PrometheusText(String text) {
        samples = text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).map(PrometheusText::parse).toList();
    }

    private static Sample parse(String line) {
        Matcher m = SAMPLE.matcher(line);
        if (!m.matches()) throw new AssertionError("not a Prometheus sample line: " + line);
        Map<String, String> labels = new LinkedHashMap<>();
        if (m.group(3) != null) {
            Matcher l = LABEL.matcher(m.group(3));
            while (l.find()) labels.put(l.group(1), l.group(2));
        }
        return new Sample(m.group(1), labels, Double.parseDouble(m.group(4)));
    }

    List<Sample> samples() {
        return samples;
    }

    /** The sum of the samples named {@code name} whose labels include all of {@code labels} (k, v, k, v…). */
    public double sum(String name, String... labels) {
        double total = 0;
        for (Sample s : samples) {
            if (s.name().equals(name) && matches(s.labels(), labels)) total += s.value();
        }
        return total;
    }

    private static boolean matches(Map<String, String> have, String... want) {
        for (int i = 0; i < want.length; i += 2) {
            if (!want[i + 1].equals(have.get(want[i]))) return false;
        }
        return true;
    }
}
