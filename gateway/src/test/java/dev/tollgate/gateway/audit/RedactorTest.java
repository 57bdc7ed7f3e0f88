package dev.tollgate.gateway.audit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RedactorTest {

    @Test
    void providerKeysAndTokensAreRemoved() {
        assertThat(Redactor.redact("my key is sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t, use it"))
                .isEqualTo("my key is [SECRET], use it");
        assertThat(Redactor.redact("anthropic: sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv"))
                .isEqualTo("anthropic: [SECRET]");
        assertThat(Redactor.redact("aws AKIAIOSFODNN7EXAMPLE and secret")).isEqualTo("aws [SECRET] and secret");
        assertThat(Redactor.redact("Authorization: Bearer eyJhbGciOi.abc123DEF456.xyz")).isEqualTo("Authorization: Bearer [SECRET]");
        assertThat(Redactor.redact("token ghp_0123456789abcdefghijABCDEFGHIJ0123456789 here"))
                .isEqualTo("token [SECRET] here");
        assertThat(Redactor.redact("db password=hunter2!x and api_key: \"abcd1234\""))
                .isEqualTo("db password=[SECRET] and api_key: \"[SECRET]\"");
        assertThat(Redactor.redact("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----\nthanks"))
                .isEqualTo("[SECRET]\nthanks");
    }

    @Test
    void emailAddressesAreRemoved() {
        assertThat(Redactor.redact("Write to jane.doe+billing@example.co.uk or ops@corp.example.com."))
                .isEqualTo("Write to [EMAIL] or [EMAIL].");
    }

    @Test
    void cardNumbersAreRemovedOnlyWhenTheLuhnCheckPasses() {
        // 4111 1111 1111 1111 is Visa's test number: Luhn sum 30
        assertThat(Redactor.redact("card 4111 1111 1111 1111 exp 12/28")).isEqualTo("card [CARD] exp 12/28");
        assertThat(Redactor.redact("card 5555-5555-5555-4444.")).isEqualTo("card [CARD].");
        assertThat(Redactor.redact("amex 378282246310005")).isEqualTo("amex [CARD]");
        // the same length with the last digit changed fails Luhn: an order number, not a card (nor a phone: 16 digits)
        assertThat(Redactor.redact("order 4111111111111112")).isEqualTo("order 4111111111111112");
        assertThat(Redactor.isCardNumber("79927398713")).isFalse(); // valid Luhn but only 11 digits
        assertThat(Redactor.isCardNumber("4012888888881881")).isTrue();
    }

    @Test
    void phoneNumbersAreRemovedButDatesAndSmallNumbersStay() {
        assertThat(Redactor.redact("call +1 (415) 555-2671 or 020 7946 0958")).isEqualTo("call [PHONE] or [PHONE]");
        assertThat(Redactor.redact("mobile +49 151 23456789")).isEqualTo("mobile [PHONE]");
        assertThat(Redactor.redact("on 2026-11-26 at 10:30 we sold 1,250 units for $3.50 in 42 stores"))
                .isEqualTo("on 2026-11-26 at 10:30 we sold 1,250 units for $3.50 in 42 stores");
    }

    @Test
    void everythingAtOnceAndNothingElse() {
        String text = "Hi, I'm Ana (ana@mail.example), card 4242 4242 4242 4242, phone +44 20 7946 0958, key sk-abcdefghijklmnopqrstuv.";
        assertThat(Redactor.redact(text)).isEqualTo("Hi, I'm Ana ([EMAIL]), card [CARD], phone [PHONE], key [SECRET].");
        assertThat(Redactor.redact("Summarize the meeting notes in 3 bullet points.")).isEqualTo("Summarize the meeting notes in 3 bullet points.");
        assertThat(Redactor.redact(null)).isNull();
    }

    /**
     * A corpus of real-looking secrets and personal data in the shapes people paste into prompts, each with what must
     * be left of it, and ordinary text that must come through untouched.
     */
    @Test
    void aCorpusOfRealLookingSecretsIsRemovedAndOrdinaryTextKept() {
        String[][] removed = {
                {"card 4111.1111.1111.1111 please", "card [CARD] please"},
                {"pay with 5555.5555.5555.4444", "pay with [CARD]"},
                {"visa 4012 8888 8888 1881 thanks", "visa [CARD] thanks"},
                {"key sk-a1B2c3D4e5F6 in the env", "key [SECRET] in the env"},
                {"OPENAI_API_KEY=sk-1234567890ab", "OPENAI_API_KEY=[SECRET]"},
                {"litellm key sk-Xq3kP9zLmN2vR7tY8wE1aB", "litellm key [SECRET]"},
                {"mail jane(at)example.com today", "mail [EMAIL] today"},
                {"mail jane [at] example [dot] com today", "mail [EMAIL] today"},
                {"reach jane dot doe at example dot co dot uk", "reach [EMAIL]"},
                {"JOHN{AT}MAIL{DOT}EXAMPLE{DOT}ORG", "[EMAIL]"},
                {"ops <at> corp.example.io", "[EMAIL]"},
                {"slack xoxb-1234567890-abcdefghij", "slack [SECRET]"},
                {"github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "[SECRET]"},
        };
        for (String[] c : removed) assertThat(Redactor.redact(c[0])).as(c[0]).isEqualTo(c[1]);

        String[] kept = {
                "look at example.com for the docs",
                "the meeting is at 10.30 in room 4",
                "version 1.2.3.4 of the skeleton",
                "ask for sk-rate pricing",
                "what is 3.14159265358979 to six places",
                "the task-level result was at the top",
                "We met at noon. Then at dot-com parties we talked.",
        };
        for (String text : kept) assertThat(Redactor.redact(text)).as(text).isEqualTo(text);
    }
}
