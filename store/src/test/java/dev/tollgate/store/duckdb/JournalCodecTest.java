package dev.tollgate.store.duckdb;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The journal's line format: a journal written by one version is replayed by the next after a crash, so the bytes of a
 * line are pinned here (as the encoder of 2026-12-07 wrote them, a fresh Jackson generator per row).
 */
class JournalCodecTest {

    static final LedgerEntry PLAIN = new LedgerEntry(Instant.parse("2026-12-07T11:59:01.123456789Z"), "req-42", "search-prod",
            Map.of("team", "search"), "openai.chat", "openai", "gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini-2024-07-18",
            Usage.openAi(1117, 1024, 46, 0), new BigDecimal("0.0000621"), "gpt-4o-mini@2024-07-18", 200, null, 412_000, -1,
            false, false);
    static final String PLAIN_LINE = "{\"t\":1796644741123456,\"id\":\"req-42\",\"key\":\"search-prod\",\"tags\":{\"team\":\"search\"},"
            + "\"api\":\"openai.chat\",\"provider\":\"openai\",\"deployment\":\"gpt-4o-mini\",\"requested\":\"gpt-4o-mini\","
            + "\"served\":\"gpt-4o-mini-2024-07-18\",\"usage\":[1117,1024,0,0,46,0],\"cost\":\"0.0000621\","
            + "\"price\":\"gpt-4o-mini@2024-07-18\",\"status\":200,\"error\":null,\"latency\":412000,\"ttft\":-1,\"stream\":false,"
            + "\"estimated\":false,\"cache\":null,\"saved\":\"0\",\"unpriced\":false}\n";

    /** Escapes, non-ASCII text, nulls, a negative time, an attempt of a route. */
    static final LedgerEntry ODD = new LedgerEntry(Instant.parse("1969-12-31T23:59:59.999999Z"), "r\"1\\", null,
            Map.of("note", "é ✓ \uD83D\uDE00 \n\t\u0001 </"), "anthropic.messages", "anthropic", null, "claude", null,
            new Usage(10, 2, 3, 4, 5, 6), new BigDecimal("1E-12"), null, 0, "timeout: \"upstream\"", 0, 1234, true, true,
            "exact", new BigDecimal("-2.50"), true, new LedgerEntry.Attempt(2, "rate_limited", "gpt-4o"));
    static final String ODD_LINE = "{\"t\":-1,\"id\":\"r\\\"1\\\\\",\"key\":null,"
            + "\"tags\":{\"note\":\"é ✓ \\uD83D\\uDE00 \\n\\t\\u0001 </\"},\"api\":\"anthropic.messages\",\"provider\":\"anthropic\","
            + "\"deployment\":null,\"requested\":\"claude\",\"served\":null,\"usage\":[10,2,3,4,5,6],\"cost\":\"0.000000000001\","
            + "\"price\":null,\"status\":0,\"error\":\"timeout: \\\"upstream\\\"\",\"latency\":0,\"ttft\":1234,\"stream\":true,"
            + "\"estimated\":true,\"cache\":\"exact\",\"saved\":\"-2.50\",\"unpriced\":true,"
            + "\"attempt\":{\"n\":2,\"reason\":\"rate_limited\",\"upstream\":\"gpt-4o\"}}\n";

    static final LedgerEntry FIRST_ATTEMPT = new LedgerEntry(Instant.parse("2026-01-01T00:00:00Z"), "id", "k", Map.of(),
            "openai.responses", "p", "d", "m", "m", Usage.ZERO, new BigDecimal("12345678901234567890.123456789"), "v", 503,
            null, 5, 5, false, false, null, BigDecimal.ZERO, false, new LedgerEntry.Attempt(1, null, null));
    static final String FIRST_ATTEMPT_LINE = "{\"t\":1767225600000000,\"id\":\"id\",\"key\":\"k\",\"tags\":{},"
            + "\"api\":\"openai.responses\",\"provider\":\"p\",\"deployment\":\"d\",\"requested\":\"m\",\"served\":\"m\","
            + "\"usage\":[0,0,0,0,0,0],\"cost\":\"12345678901234567890.123456789\",\"price\":\"v\",\"status\":503,\"error\":null,"
            + "\"latency\":5,\"ttft\":5,\"stream\":false,\"estimated\":false,\"cache\":null,\"saved\":\"0\",\"unpriced\":false,"
            + "\"attempt\":{\"n\":1,\"reason\":null,\"upstream\":null}}\n";

    @Test
    void aRowIsTheSameLineByteForByteWhateverCameBeforeItOnTheThread() {
        // one thread's writer serves every row: each line must start clean, as a fresh generator's would
        for (int round = 0; round < 3; round++) {
            assertThat(text(JournalCodec.encode(PLAIN))).isEqualTo(PLAIN_LINE);
            assertThat(text(JournalCodec.encode(ODD))).isEqualTo(ODD_LINE);
            assertThat(text(JournalCodec.encode(FIRST_ATTEMPT))).isEqualTo(FIRST_ATTEMPT_LINE);
        }
    }

    @Test
    void theLineInPlaceIsTheSameBytes() {
        JournalCodec.Line line = JournalCodec.encodeInPlace(ODD);
        assertThat(Arrays.copyOf(line.bytes(), line.length())).isEqualTo(ODD_LINE.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aLineReadsBackAsItsRow() throws Exception {
        for (LedgerEntry e : new LedgerEntry[] {PLAIN, ODD, FIRST_ATTEMPT}) {
            String line = text(JournalCodec.encode(e));
            LedgerEntry back = JournalCodec.decode(line.substring(0, line.length() - 1));
            // the journal keeps microseconds, the ledger's precision
            assertThat(back).isEqualTo(withTime(e, Instant.ofEpochSecond(e.time().getEpochSecond(), e.time().getNano() / 1000 * 1000L)));
        }
    }

    @Test
    void aRowThatCannotBeEncodedLeavesTheNextOneWhole() {
        // a time past what microseconds since 1970 can hold fails after the object has begun
        LedgerEntry tooLate = withTime(PLAIN, Instant.MAX);
        assertThatThrownBy(() -> JournalCodec.encode(tooLate)).isInstanceOf(ArithmeticException.class);
        assertThat(text(JournalCodec.encode(PLAIN))).isEqualTo(PLAIN_LINE);
    }

    @Test
    void aHugeRowIsEncodedWholeAndTheNextIsUnaffected() {
        String big = "x".repeat(200_000);
        LedgerEntry huge = new LedgerEntry(PLAIN.time(), "req-42", "search-prod", Map.of("team", big), "openai.chat",
                "openai", "gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", PLAIN.usage(), PLAIN.costUsd(),
                PLAIN.priceVersion(), 200, null, 412_000, -1, false, false);
        assertThat(text(JournalCodec.encode(huge))).isEqualTo(PLAIN_LINE.replace("\"team\":\"search\"", "\"team\":\"" + big + "\""));
        assertThat(text(JournalCodec.encode(PLAIN))).isEqualTo(PLAIN_LINE);
    }

    private static LedgerEntry withTime(LedgerEntry e, Instant time) {
        return new LedgerEntry(time, e.requestId(), e.keyName(), e.tags(), e.api(), e.provider(), e.deployment(),
                e.requestedModel(), e.servedModel(), e.usage(), e.costUsd(), e.priceVersion(), e.status(), e.error(),
                e.latencyMicros(), e.ttftMicros(), e.stream(), e.estimated(), e.cache(), e.savedUsd(), e.unpriced(), e.attempt());
    }

    private static String text(byte[] line) {
        return new String(line, StandardCharsets.UTF_8);
    }
}
