package dev.tollgate.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.audit.PromptParts;
import dev.tollgate.gateway.audit.Redactor;
import dev.tollgate.gateway.observe.GatewayMetrics;
import dev.tollgate.gateway.observe.ObserveConfig;
import dev.tollgate.store.LedgerEntry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What observability adds per request: on the event loop, the metrics update from the ledger stream and (with the
 * prompt log on) pulling the prompt's parts out of the parsed body; off it, redacting the prompt's text.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ObserveBenchmark {

    private final GatewayMetrics metrics = new GatewayMetrics(ObserveConfig.Metrics.DEFAULTS);
    private final LedgerEntry entry = new LedgerEntry(Instant.now(), "req_1", "search-prod",
            Map.of("team", "search", "feature", "autocomplete"), "openai.chat", "openai", "gpt-4o-mini", "gpt-4o-mini",
            "gpt-4o-mini-2024-07-18", Usage.openAi(1117, 1024, 46, 0), new BigDecimal("0.0000585"), "gpt-4o-mini@2024-07-18",
            200, null, 412_000, 95_000, true, false);
    private JsonNode body;
    private final String text = "Hi, I'm Ana and my order 8812 has not arrived. You can reach me at ana@mail.example or "
            + "+44 20 7946 0958. The tracking page says it is still in the depot since Monday; what should I do now?";

    private final String plain = "Summarize the attached meeting notes in three bullet points for the weekly report, keeping "
            + "the decisions and the owners of each action, and leave out the small talk at the start of the meeting.";

    @Setup
    public void setUp() throws Exception {
        body = Json.parse("""
                {"model":"gpt-4o-mini","max_tokens":300,"messages":[
                 {"role":"system","content":"You are the support assistant of Acme. Answer in one short paragraph."},
                 {"role":"user","content":"Where is my parcel? It was due on Monday."},
                 {"role":"assistant","content":"Your parcel left our warehouse on Friday and is on its way to you."},
                 {"role":"user","content":"The tracking page says it is in the depot. Why so long?"}]}""");
    }

    @Benchmark
    public GatewayMetrics recordMetrics() {
        metrics.record(entry);
        return metrics;
    }

    @Benchmark
    public PromptParts extractPrompt() {
        return PromptParts.of(Api.OPENAI_CHAT, body);
    }

    @Benchmark
    public String redactMessageWithPersonalData() {
        return Redactor.redact(text);
    }

    @Benchmark
    public String redactPlainMessage() {
        return Redactor.redact(plain);
    }
}
