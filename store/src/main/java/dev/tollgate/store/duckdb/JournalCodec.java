package dev.tollgate.store.duckdb;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One ledger row as one line of JSON in the journal ({@link LedgerJournal}): every field of {@link LedgerEntry}, short
 * names, money as exact decimal strings, time in epoch microseconds (the ledger's precision).
 */
public final class JournalCodec {

    private static final JsonFactory FACTORY = new JsonFactory();
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * One line buffer per thread, reused: a row is encoded into it and copied out once, where a fresh stream per row
     * allocated about three times the row's size (its first array, the array it grew into, the copy).
     */
    private static final ThreadLocal<ByteArrayOutputStream> LINE = ThreadLocal.withInitial(() -> new ByteArrayOutputStream(1024));
    /** A buffer that grew past this for a rare huge row (megabytes of tags) is not kept. */
    private static final int KEPT_BYTES = 64 << 10;

    private JournalCodec() {
    }

    /** The row as a JSON object followed by a newline. */
    public static byte[] encode(LedgerEntry e) {
        ByteArrayOutputStream out = LINE.get();
        out.reset();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            Usage u = e.usage();
            g.writeStartObject();
            g.writeNumberField("t", LedgerWriter.epochMicros(e.time()));
            g.writeStringField("id", e.requestId());
            g.writeStringField("key", e.keyName());
            g.writeObjectFieldStart("tags");
            for (Map.Entry<String, String> t : e.tags().entrySet()) g.writeStringField(t.getKey(), t.getValue());
            g.writeEndObject();
            g.writeStringField("api", e.api());
            g.writeStringField("provider", e.provider());
            g.writeStringField("deployment", e.deployment());
            g.writeStringField("requested", e.requestedModel());
            g.writeStringField("served", e.servedModel());
            g.writeArrayFieldStart("usage");
            g.writeNumber(u.inputTokens());
            g.writeNumber(u.cachedInputTokens());
            g.writeNumber(u.cacheWrite5mTokens());
            g.writeNumber(u.cacheWrite1hTokens());
            g.writeNumber(u.outputTokens());
            g.writeNumber(u.reasoningTokens());
            g.writeEndArray();
            g.writeStringField("cost", e.costUsd().toPlainString());
            g.writeStringField("price", e.priceVersion());
            g.writeNumberField("status", e.status());
            g.writeStringField("error", e.error());
            g.writeNumberField("latency", e.latencyMicros());
            g.writeNumberField("ttft", e.ttftMicros());
            g.writeBooleanField("stream", e.stream());
            g.writeBooleanField("estimated", e.estimated());
            g.writeStringField("cache", e.cache());
            g.writeStringField("saved", e.savedUsd().toPlainString());
            g.writeBooleanField("unpriced", e.unpriced());
            if (e.attempt() != null) { // absent for a request's only attempt at a plain model (and in older journals)
                g.writeObjectFieldStart("attempt");
                g.writeNumberField("n", e.attempt().number());
                g.writeStringField("reason", e.attempt().reason());
                g.writeStringField("upstream", e.attempt().upstreamModel());
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex); // a ByteArrayOutputStream does not fail
        }
        out.write('\n');
        byte[] line = out.toByteArray();
        if (line.length > KEPT_BYTES) LINE.remove();
        return line;
    }

    /** The row of one line written by {@link #encode}. */
    public static LedgerEntry decode(String line) throws IOException {
        JsonNode n = JSON.readTree(line);
        long micros = n.get("t").asLong();
        Map<String, String> tags = new LinkedHashMap<>();
        n.path("tags").fields().forEachRemaining(t -> tags.put(t.getKey(), t.getValue().asText()));
        JsonNode u = n.get("usage");
        Usage usage = new Usage(u.get(0).asLong(), u.get(1).asLong(), u.get(2).asLong(), u.get(3).asLong(),
                u.get(4).asLong(), u.get(5).asLong());
        return new LedgerEntry(
                Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L),
                text(n, "id"), text(n, "key"), tags, text(n, "api"), text(n, "provider"), text(n, "deployment"),
                text(n, "requested"), text(n, "served"), usage, new BigDecimal(n.get("cost").asText()), text(n, "price"),
                n.get("status").asInt(), text(n, "error"), n.get("latency").asLong(), n.get("ttft").asLong(),
                n.get("stream").asBoolean(), n.get("estimated").asBoolean(), text(n, "cache"),
                new BigDecimal(n.get("saved").asText()), n.get("unpriced").asBoolean(), attempt(n.get("attempt")));
    }

    private static LedgerEntry.Attempt attempt(JsonNode a) {
        if (a == null || a.isNull()) return null;
        return new LedgerEntry.Attempt(a.get("n").asInt(), text(a, "reason"), text(a, "upstream"));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
