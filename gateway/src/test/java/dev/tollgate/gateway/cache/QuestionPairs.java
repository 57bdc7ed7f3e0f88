package dev.tollgate.gateway.cache;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The labelled question pairs shipped with the tests: the same question in other words, or a different one. */
record QuestionPairs(List<Pair> pairs) {

    record Pair(boolean duplicate, String a, String b) {
    }

    static QuestionPairs load() throws IOException {
        try (InputStream in = QuestionPairs.class.getResourceAsStream("question-pairs.tsv")) {
            List<Pair> pairs = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.split("\t");
                pairs.add(new Pair(f[0].equals("1"), f[1], f[2]));
            }
            return new QuestionPairs(List.copyOf(pairs));
        }
    }

    long duplicates() {
        return pairs.stream().filter(Pair::duplicate).count();
    }
}
