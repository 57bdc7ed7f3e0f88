package dev.tollgate.gateway.sse;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SseParserTest {

    private final List<SseEvent> events = new ArrayList<>();
    private final SseParser parser = new SseParser(events::add);

    @Test
    void splitsEventsAcrossArbitraryChunkBoundaries() {
        String stream = "event: message_start\ndata: {\"a\":1}\n\n: keep-alive\n\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n";
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) parser.feed(Buffer.buffer(new byte[] {b}));
        assertThat(events).extracting(SseEvent::data).containsExactly("{\"a\":1}", null, "line1\nline2", "[DONE]");
        assertThat(events.get(0).event()).isEqualTo("message_start");
        StringBuilder raw = new StringBuilder();
        events.forEach(e -> raw.append(e.raw().toString()));
        assertThat(raw.toString()).isEqualTo(stream);
    }

    @Test
    void acceptsCrlfAndManyEventsInOneChunk() {
        parser.feed(Buffer.buffer("data: one\r\n\r\ndata: two\r\n\r\ndata: thr"));
        assertThat(events).extracting(SseEvent::data).containsExactly("one", "two");
        parser.feed(Buffer.buffer("ee\r\n\r\n"));
        assertThat(events).extracting(SseEvent::data).containsExactly("one", "two", "three");
    }

    @Test
    void multiByteCharactersSplitAcrossChunksSurvive() {
        byte[] bytes = "data: héllo €\n\n".getBytes(StandardCharsets.UTF_8);
        parser.feed(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, 0, 9)));
        parser.feed(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, 9, bytes.length)));
        assertThat(events).extracting(SseEvent::data).containsExactly("héllo €");
    }

    @Test
    void finishEmitsAnUnterminatedLastEvent() {
        parser.feed(Buffer.buffer("data: tail"));
        assertThat(events).isEmpty();
        parser.finish();
        assertThat(events).extracting(SseEvent::data).containsExactly("tail");
    }
}
