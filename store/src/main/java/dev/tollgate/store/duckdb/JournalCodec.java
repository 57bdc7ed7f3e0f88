package dev.tollgate.store.duckdb;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One ledger row as one line of JSON in the journal ({@link LedgerJournal}): every field of {@link LedgerEntry}, short
 * names, money as exact decimal strings, time in epoch microseconds (the ledger's precision).
 */
public final class JournalCodec {

    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The generators below are kept for the life of their thread, so they must not hold a buffer of Jackson's shared
     * per-thread pool (which the event loop's other parsers and generators take and give back).
     */
    private static final JsonFactory FACTORY = JsonFactory.builder().recyclerPool(JsonRecyclerPools.nonRecyclingPool()).build();
    /** A buffer that grew past this for a rare huge row (megabytes of tags) is not kept. */
    private static final int KEPT_BYTES = 64 << 10;
    private static final ThreadLocal<LineWriter> WRITER = ThreadLocal.withInitial(LineWriter::new);

    // the field names, quoted and encoded once: Jackson copies their bytes instead of escaping each name per row
    private static final SerializableString T = name("t"), ID = name("id"), KEY = name("key"), TAGS = name("tags"),
            API = name("api"), PROVIDER = name("provider"), DEPLOYMENT = name("deployment"), REQUESTED = name("requested"),
            SERVED = name("served"), USAGE = name("usage"), COST = name("cost"), PRICE = name("price"),
            STATUS = name("status"), ERROR = name("error"), LATENCY = name("latency"), TTFT = name("ttft"),
            STREAM = name("stream"), ESTIMATED = name("estimated"), CACHE = name("cache"), SAVED = name("saved"),
            UNPRICED = name("unpriced"), ATTEMPT = name("attempt"), N = name("n"), REASON = name("reason"),
            UPSTREAM = name("upstream");

    private JournalCodec() {
    }

    /** The row as a JSON object followed by a newline, in a new array. */
    public static byte[] encode(LedgerEntry e) {
        Line line = encodeInPlace(e);
        return Arrays.copyOf(line.bytes(), line.length());
    }

    /** An encoded row in its thread's buffer: {@code length} bytes of {@code bytes}, the newline included. */
    public interface Line {
        byte[] bytes();

        int length();
    }

    /**
     * The row as {@link #encode} writes it, left in this thread's buffer: valid until the thread encodes its next row.
     * What the ledgers' append uses, so that the line's only copy is the one into the journal.
     */
    public static Line encodeInPlace(LedgerEntry e) {
        LineWriter w = WRITER.get();
        try {
            w.encode(e);
        } catch (IOException | RuntimeException ex) {
            WRITER.remove(); // the generator may be left inside the object; the thread's next row gets a fresh one
            if (ex instanceof IOException io) throw new UncheckedIOException(io); // a ByteArrayOutputStream does not fail
            throw (RuntimeException) ex;
        }
        if (w.length() > KEPT_BYTES) WRITER.remove(); // the caller still holds it; the thread's next row gets a small one
        return w;
    }

    /**
     * One generator per thread, kept open across rows: each row is a root-level value written into the same buffer,
     * which is emptied before it (creating and closing a generator per row was a tenth of the encoding's time).
     */
    private static final class LineWriter extends ByteArrayOutputStream implements Line {
        private final JsonGenerator g;

        LineWriter() {
            super(1024);
            try {
                g = FACTORY.createGenerator(this);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            g.setRootValueSeparator(null); // rows are separated by the newline below, not by Jackson's default space
        }

        void encode(LedgerEntry e) throws IOException {
            reset();
            Usage u = e.usage();
            g.writeStartObject();
            number(T, LedgerWriter.epochMicros(e.time()));
            string(ID, e.requestId());
            string(KEY, e.keyName());
            g.writeFieldName(TAGS);
            g.writeStartObject();
            for (Map.Entry<String, String> t : e.tags().entrySet()) g.writeStringField(t.getKey(), t.getValue());
            g.writeEndObject();
            string(API, e.api());
            string(PROVIDER, e.provider());
            string(DEPLOYMENT, e.deployment());
            string(REQUESTED, e.requestedModel());
            string(SERVED, e.servedModel());
            g.writeFieldName(USAGE);
            g.writeStartArray();
            g.writeNumber(u.inputTokens());
            g.writeNumber(u.cachedInputTokens());
            g.writeNumber(u.cacheWrite5mTokens());
            g.writeNumber(u.cacheWrite1hTokens());
            g.writeNumber(u.outputTokens());
            g.writeNumber(u.reasoningTokens());
            g.writeEndArray();
            string(COST, e.costUsd().toPlainString());
            string(PRICE, e.priceVersion());
            number(STATUS, e.status());
            string(ERROR, e.error());
            number(LATENCY, e.latencyMicros());
            number(TTFT, e.ttftMicros());
            bool(STREAM, e.stream());
            bool(ESTIMATED, e.estimated());
            string(CACHE, e.cache());
            string(SAVED, e.savedUsd().toPlainString());
            bool(UNPRICED, e.unpriced());
            if (e.attempt() != null) { // absent for a request's only attempt at a plain model (and in older journals)
                g.writeFieldName(ATTEMPT);
                g.writeStartObject();
                number(N, e.attempt().number());
                string(REASON, e.attempt().reason());
                string(UPSTREAM, e.attempt().upstreamModel());
                g.writeEndObject();
            }
            g.writeEndObject();
            g.flush(); // Jackson's own buffer into this one
            write('\n');
        }

        private void string(SerializableString name, String value) throws IOException {
            g.writeFieldName(name);
            g.writeString(value); // null as null
        }

        private void number(SerializableString name, long value) throws IOException {
            g.writeFieldName(name);
            g.writeNumber(value);
        }

        private void bool(SerializableString name, boolean value) throws IOException {
            g.writeFieldName(name);
            g.writeBoolean(value);
        }

        @Override
        public byte[] bytes() {
            return buf;
        }

        @Override
        public int length() {
            return count;
        }
    }

    private static SerializableString name(String name) {
        return new SerializedString(name);
    }

    /**
     * The statement that has DuckDB read the lines of {@code files} (written by {@link #encode}) into the ledger's
     * {@code requests} table, all in one insert: {@link #decode}'s counterpart in SQL, kept beside it so that a field
     * the line gains is read by both.
     */
    public static String insertSql(List<Path> files) {
        return INSERT_SQL.formatted(fileList(files));
    }

    /** {@code files} as a DuckDB list of string literals, for {@code read_json}. */
    static String fileList(List<Path> files) {
        return files.stream().map(f -> "'" + f.toString().replace("'", "''") + "'").collect(Collectors.joining(", ", "[", "]"));
    }

    /**
     * An exact decimal string as the stored {@code DECIMAL(38,12)}: rounded half-even as {@link LedgerWriter#cost} does
     * when it has more than 12 decimals (the division that rounding takes cost 15% of the insert when done for every
     * row).
     */
    private static String money(String field) {
        return ("CASE WHEN strpos(%1$s, '.') > 0 AND length(%1$s) - strpos(%1$s, '.') > 12"
                + " THEN round_even(%1$s::DECIMAL(38,24), 12) ELSE %1$s::DECIMAL(38,12) END").formatted(field);
    }

    private static final String INSERT_SQL = """
            INSERT INTO requests BY NAME SELECT make_timestamp(t) AS time, id AS request_id, key AS key_name,
              tags::VARCHAR AS tags, api, provider, deployment, requested AS requested_model, served AS served_model,
              usage[1] AS input_tokens, usage[2] AS cached_input_tokens, usage[3] AS cache_write_5m_tokens,
              usage[4] AS cache_write_1h_tokens, usage[5] AS output_tokens, usage[6] AS reasoning_tokens,
              %s AS cost_usd, price AS price_version, status, error,
              latency AS latency_us, CASE WHEN ttft < 0 THEN NULL ELSE ttft END AS ttft_us, stream, estimated, cache,
              %s AS saved_usd, unpriced, coalesce(attempt.n, 1) AS attempt,
              attempt.reason AS attempt_reason, attempt.upstream AS upstream_model
            FROM read_json(%%s, format = 'newline_delimited', columns = {t: 'BIGINT', id: 'VARCHAR', key: 'VARCHAR',
              tags: 'JSON', api: 'VARCHAR', provider: 'VARCHAR', deployment: 'VARCHAR', requested: 'VARCHAR',
              served: 'VARCHAR', usage: 'BIGINT[]', cost: 'VARCHAR', price: 'VARCHAR', status: 'INTEGER',
              error: 'VARCHAR', latency: 'BIGINT', ttft: 'BIGINT', stream: 'BOOLEAN', estimated: 'BOOLEAN',
              cache: 'VARCHAR', saved: 'VARCHAR', unpriced: 'BOOLEAN',
              attempt: 'STRUCT(n INTEGER, reason VARCHAR, upstream VARCHAR)'})""".formatted(money("cost"), money("saved"));

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
