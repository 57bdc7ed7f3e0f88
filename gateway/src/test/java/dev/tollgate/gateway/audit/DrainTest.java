package dev.tollgate.gateway.audit;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DrainTest {

    static List<String> mine(Drain drain, String... lines) {
        for (String line : lines) drain.add(line);
        return drain.clusters().stream().map(c -> c.size() + ": " + c.template()).toList();
    }

    @Test
    void classicLogLinesBecomeTheirTemplates() {
        // Drain3's README example, with its expected templates
        assertThat(mine(new Drain(),
                "connected to 10.0.0.1",
                "connected to 10.0.0.2",
                "connected to 10.0.0.3",
                "Hex number 0xDEADBEAF",
                "Hex number 0x10000",
                "user davidoh logged in",
                "user eranr logged in"))
                .containsExactly("3: connected to <*>", "2: Hex number <*>", "2: user <*> logged in");
    }

    @Test
    void promptsThatDifferOnlyInTheirVariablesShareATemplate() {
        assertThat(mine(new Drain(),
                "You are a support agent for Acme. The customer's name is Alice. Answer briefly.",
                "You are a support agent for Acme. The customer's name is Bob. Answer briefly.",
                "You are a support agent for Acme. The customer's name is Chen. Answer briefly.",
                "Translate into French: good morning to everyone",
                "Translate into French: see you all tomorrow",
                "Translate into German: see you all tomorrow"))
                .containsExactly(
                        "3: You are a support agent for Acme. The customer's name is <*> Answer briefly.",
                        // 3 of 7 positions agree (0.43): joined; the German one then shares only 2 of 7 (0.29)
                        "2: Translate into French: <*> <*> <*> <*>",
                        "1: Translate into German: see you all tomorrow");
    }

    @Test
    void dissimilarTextsOfTheSameShapeStayApart() {
        // same length and first words, but only 2 of 6 positions agree: below the 0.4 similarity
        assertThat(mine(new Drain(),
                "Write a poem about the sea",
                "Write a summary of quarterly sales",
                "Write a poem about the moon"))
                .containsExactly("2: Write a poem about the <*>", "1: Write a summary of quarterly sales");
    }

    @Test
    void differentWordCountsAreDifferentTemplatesAndEmptyTextIsItsOwn() {
        Drain drain = new Drain();
        Drain.Cluster a = drain.add("status of order 1234");
        Drain.Cluster b = drain.add("status of order 1234 please");
        Drain.Cluster empty = drain.add("   ");
        assertThat(a).isNotSameAs(b);
        assertThat(empty.template()).isEmpty();
        assertThat(drain.add("status of order 98765")).isSameAs(a);
        assertThat(a.template()).isEqualTo("status of order <*>");
    }

    @Test
    void aFullNodeSendsNewWordsDownTheWildcardBranch() {
        // one layer of leading words, two children per node: "alpha" takes one slot, the wildcard branch the other
        Drain drain = new Drain(4, 0.5, 2, 100);
        drain.add("alpha one two");
        drain.add("beta one two");
        drain.add("gamma one two");
        assertThat(drain.clusters()).extracting(Drain.Cluster::template).containsExactly("alpha one two", "<*> one two");
        assertThat(drain.clusters().get(1).size()).isEqualTo(2);
    }
}
