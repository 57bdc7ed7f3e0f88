package dev.tollgate.gateway.cache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static dev.tollgate.gateway.cache.CacheStoreTest.reply;
import static org.assertj.core.api.Assertions.assertThat;

/** The answers cache's admission: every answer while it has room, once full only an answer whose key was seen lately. */
class DoorkeeperTest {

    @TempDir
    Path data;

    /** 64 KiB of answers of about 1.4 KB each: full after about 45. */
    static final long MAX = 64 * 1024;
    static final Duration TTL = Duration.ofMinutes(10);

    private final AtomicLong nanos = new AtomicLong();
    private final CacheStore store = new CacheStore(new CacheConfig(true, MAX, Duration.ofHours(1), null, true, false,
            true, Duration.ofSeconds(60), 1 << 20, List.of()), nanos::get);

    /** Stores new answers until one is evicted for room; the keys are "fill-0", "fill-1", … */
    private void fill() {
        for (int i = 0; i < 100; i++) store.store("fill-" + i, reply("fill-" + i, 1000), TTL);
        assertThat(store.storedBytes()).isGreaterThan(MAX - 2000).isLessThanOrEqualTo(MAX);
    }

    @Test
    void aCacheWithRoomStoresAnAnswerTheFirstTimeItsKeyIsSeen() {
        store.store("first", reply("first", 1000), TTL);
        assertThat(store.lookup("first")).isNotNull();
        assertThat(store.storedAnswers()).isEqualTo(1);
    }

    @Test
    void aFullCacheStoresAnAnswerOnlyTheSecondTimeItsKeyIsSeen() {
        fill();
        store.store("new", reply("new", 1000), TTL);
        assertThat(store.lookup("new")).isNull();
        store.store("new", reply("new", 1000), TTL);
        assertThat(store.lookup("new")).isNotNull();
    }

    @Test
    void answersSeenOnceNoLongerPushOutWhatAFullCacheHolds() {
        fill();
        long held = store.storedAnswers();
        List<String> kept = java.util.stream.IntStream.range(0, 100).mapToObj(i -> "fill-" + i)
                .filter(k -> store.lookup(k) != null).toList();
        assertThat(kept).hasSize((int) held);
        for (int i = 0; i < 10_000; i++) store.store("once-" + i, reply("once-" + i, 1000), TTL);
        assertThat(store.storedAnswers()).isEqualTo(held);
        assertThat(kept).allSatisfy(k -> assertThat(store.lookup(k)).isNotNull());
    }

    @Test
    void answersThatExpireLeaveRoomForFirstSightsAgain() {
        fill();
        nanos.addAndGet(TTL.plusSeconds(1).toNanos());
        assertThat(store.storedAnswers()).isZero(); // cleaned up: every answer expired
        store.store("after", reply("after", 1000), TTL);
        assertThat(store.lookup("after")).isNotNull();
    }

    @Test
    void theTableIsSizedFromTheBoundAndNeverGrows() {
        assertThat(Doorkeeper.forBound(32L << 20).bytes()).isEqualTo(512L << 10); // 1/64 of the default bound
        assertThat(Doorkeeper.forBound(100L << 20).bytes()).isEqualTo(1L << 20); // rounded down to a power of two
        assertThat(Doorkeeper.forBound(1024).bytes()).isEqualTo(4L * Doorkeeper.MIN_SLOTS);
        assertThat(Doorkeeper.forBound(Long.MAX_VALUE).bytes()).isEqualTo(4L * Doorkeeper.MAX_SLOTS);
        assertThat(store.doorkeeperBytes()).isEqualTo(4L * Doorkeeper.MIN_SLOTS); // 64 KiB / 256 is below the least

        Doorkeeper d = new Doorkeeper(1024);
        assertThat(d.seenBefore("q")).isFalse();
        assertThat(d.seenBefore("q")).isTrue();
        // a million other keys later the table is the same size and "q" is long forgotten
        for (int i = 0; i < 1_000_000; i++) d.seenBefore("other-" + i);
        assertThat(d.bytes()).isEqualTo(4096);
        assertThat(d.seenBefore("q")).isFalse();
    }

    @Test
    void throughTheGatewayAFullCacheServesAQuestionFromItsThirdAsking() throws Exception {
        long max = 16 * 1024;
        try (CacheBed bed = new CacheBed(data, "cache: {enabled: true, max_bytes: " + max + "}", 0)) {
            for (int i = 0; i < 60; i++) bed.post("/v1/chat/completions", question("filler " + i));
            assertThat(bed.services.cache().storedBytes()).isGreaterThan(max / 2);
            assertThat(bed.post("/v1/chat/completions", question("asked thrice")).headers().firstValue("x-tollgate-cache")).hasValue("miss");
            assertThat(bed.post("/v1/chat/completions", question("asked thrice")).headers().firstValue("x-tollgate-cache")).hasValue("miss");
            assertThat(bed.post("/v1/chat/completions", question("asked thrice")).headers().firstValue("x-tollgate-cache")).hasValue("hit");
        }
    }

    private static String question(String text) {
        return "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }
}
