package dev.tollgate.sandbox;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TextGeneratorTest {

    private final TextGenerator generator = new TextGenerator(7);

    @Test
    void textHasExactlyTheAskedTokensInBothEncodings() {
        for (int n : new int[]{0, 1, 2, 3, 10, 17, 100, 1000, 8191, 8192, 8193, 20_000}) {
            String text = generator.text(n);
            assertThat(SandboxTestSupport.O200K.countTokens(text)).as("o200k, %d tokens", n).isEqualTo(n);
            assertThat(SandboxTestSupport.CL100K.countTokens(text)).as("cl100k, %d tokens", n).isEqualTo(n);
        }
    }

    @Test
    void piecesJoinToTheText() {
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < 9000; i++) joined.append(generator.piece(i));
        assertThat(joined.toString()).isEqualTo(generator.text(9000));
        assertThat(generator.text(3)).doesNotStartWith(" ");
    }

    @Test
    void seedDecidesTheText() {
        assertThat(new TextGenerator(7).text(200)).isEqualTo(generator.text(200));
        assertThat(new TextGenerator(8).text(200)).isNotEqualTo(generator.text(200));
    }
}
