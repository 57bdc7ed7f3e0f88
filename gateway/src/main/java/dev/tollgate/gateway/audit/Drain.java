package dev.tollgate.gateway.audit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Online template mining in the style of the Drain log parser (He, Zhu, Zheng and Lyu, ICWS 2017): texts are split
 * into words, routed through a parse tree of fixed depth (first by word count, then by their first words, words with
 * digits going to a wildcard branch), and joined to the most similar cluster in the leaf when at least
 * {@code similarity} of their positions match; the positions where members differ become {@value #WILDCARD}.
 * "Answer as agent Alice: …" and "Answer as agent Bob: …" become "Answer as agent <*> …". Not thread-safe.
 */
public final class Drain {

    public static final String WILDCARD = "<*>";

    private final int depth;
    private final double similarity;
    private final int maxChildren;
    private final int maxWords;
    private final Node root = new Node();
    private final List<Cluster> clusters = new ArrayList<>();

    /**
     * @param depth       parse tree depth counting the root, the word-count layer and the leaf, so {@code depth - 3}
     *                    layers of leading words (Drain3's convention)
     * @param similarity  share of equal positions needed to join a cluster (0..1)
     * @param maxChildren children per tree node; further words share the wildcard branch
     * @param maxWords    words of a text that are considered (long prompts: their opening)
     */
    public Drain(int depth, double similarity, int maxChildren, int maxWords) {
        if (depth < 3) throw new IllegalArgumentException("depth must be at least 3");
        this.depth = depth;
        this.similarity = similarity;
        this.maxChildren = maxChildren;
        this.maxWords = maxWords;
    }

    /** Drain's usual settings: depth 4, similarity 0.4, 100 children, the first 400 words. */
    public Drain() {
        this(4, 0.4, 100, 400);
    }

    /** One recurring template and how many texts it covers. */
    public static final class Cluster {
        private final int id;
        private final String[] template;
        private long size;

        private Cluster(int id, String[] template) {
            this.id = id;
            this.template = template;
        }

        public int id() {
            return id;
        }

        public long size() {
            return size;
        }

        public String template() {
            return String.join(" ", template);
        }
    }

    /** Adds a text and returns the cluster it joined or founded. */
    public Cluster add(String text) {
        String[] words = words(text);
        Cluster match = search(words);
        if (match != null) {
            for (int i = 0; i < words.length; i++) {
                if (!match.template[i].equals(words[i])) match.template[i] = WILDCARD;
            }
        } else {
            match = new Cluster(clusters.size() + 1, words.clone());
            clusters.add(match);
            insert(match);
        }
        match.size++;
        return match;
    }

    /** Every cluster, in order of founding. */
    public List<Cluster> clusters() {
        return List.copyOf(clusters);
    }

    String[] words(String text) {
        String trimmed = text == null ? "" : text.strip();
        if (trimmed.isEmpty()) return new String[0];
        String[] words = trimmed.split("\\s+");
        return words.length > maxWords ? java.util.Arrays.copyOf(words, maxWords) : words;
    }

    private Cluster search(String[] words) {
        Node node = root.children.get(String.valueOf(words.length));
        if (node == null) return null;
        for (int i = 0; i < Math.min(depth - 3, words.length); i++) {
            Node next = node.children.get(words[i]);
            if (next == null) next = node.children.get(WILDCARD);
            if (next == null) return null;
            node = next;
        }
        Cluster best = null;
        double bestSim = -1;
        int bestParams = -1;
        for (Cluster c : node.clusters) {
            int same = 0, params = 0;
            for (int i = 0; i < words.length; i++) {
                if (c.template[i].equals(WILDCARD)) params++;
                else if (c.template[i].equals(words[i])) same++;
            }
            double sim = words.length == 0 ? 1.0 : (double) same / words.length;
            if (sim > bestSim || (sim == bestSim && params > bestParams)) {
                best = c;
                bestSim = sim;
                bestParams = params;
            }
        }
        return best != null && bestSim >= similarity ? best : null;
    }

    private void insert(Cluster cluster) {
        String[] words = cluster.template;
        Node node = root.children.computeIfAbsent(String.valueOf(words.length), k -> new Node());
        for (int i = 0; i < Math.min(depth - 3, words.length); i++) {
            String word = hasDigit(words[i]) ? WILDCARD : words[i];
            Node next = node.children.get(word);
            if (next == null) {
                boolean room = node.children.containsKey(WILDCARD)
                        ? node.children.size() < maxChildren
                        : node.children.size() + 1 < maxChildren;
                if (room || word.equals(WILDCARD)) {
                    next = new Node();
                    node.children.put(word, next);
                } else {
                    next = node.children.computeIfAbsent(WILDCARD, k -> new Node());
                }
            }
            node = next;
        }
        node.clusters.add(cluster);
    }

    private static boolean hasDigit(String word) {
        for (int i = 0; i < word.length(); i++) if (Character.isDigit(word.charAt(i))) return true;
        return false;
    }

    private static final class Node {
        final Map<String, Node> children = new HashMap<>();
        final List<Cluster> clusters = new ArrayList<>();
    }
}
