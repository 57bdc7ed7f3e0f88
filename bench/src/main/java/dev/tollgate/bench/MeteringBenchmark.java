package dev.tollgate.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.translate.AnswerHead;
import dev.tollgate.gateway.translate.UsageFields;
import io.vertx.core.buffer.Buffer;
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
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The metering work the gateway adds to every answer: finding {@code usage} in the provider's body, mapping it, and
 * pricing it exactly. {@code readWholeTree} is the naive alternative the field scan replaced; {@code readUsageStreamed}
 * (the gateway's way now) reads the usage object field by field without building its tree.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MeteringBenchmark {

    /** A Chat Completions answer as OpenAI sends it, with a paragraph of text. */
    private final Buffer answer = Buffer.buffer("""
            {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,
             "model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":
             "A token is the unit a model reads and writes: roughly four characters of English text. \
            Providers bill input and output tokens at different rates, and cached input at a discount.","refusal":null,
             "annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1117,
             "completion_tokens":46,"total_tokens":1163,"prompt_tokens_details":{"cached_tokens":1024,
             "audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,
             "accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default",
             "system_fingerprint":"fp_06737a9306"}""");
    private final Set<String> wanted = Set.of("usage", "model");
    private final PriceCatalog catalog = PriceCatalog.bundled();
    private final Instant at = Instant.parse("2026-11-01T12:00:00Z");
    private final ModelPrice price = catalog.priceAt("gpt-4o-mini", at).orElseThrow();
    private final Usage usage = Usage.openAi(1117, 1024, 46, 0);

    @Setup
    public void check() {
        if (!readUsageByFieldScan().equals(usage) || !readWholeTree().equals(usage) || !readUsageStreamed().equals(usage)) {
            throw new IllegalStateException("the sample answer does not read back as " + usage);
        }
    }

    @Benchmark
    public Usage readUsageByFieldScan() {
        return UsageFields.fromOpenAi(Json.fields(answer, wanted).get("usage"));
    }

    @Benchmark
    public Usage readUsageStreamed() {
        return AnswerHead.read(answer, UsageFields::readOpenAi).usage();
    }

    @Benchmark
    public Usage readWholeTree() {
        JsonNode tree = Json.tree(answer);
        return UsageFields.fromOpenAi(tree.get("usage"));
    }

    @Benchmark
    public ModelPrice lookUpPriceInForce() {
        return catalog.priceAt("gpt-4o-mini-2024-07-18", at).orElseThrow();
    }

    @Benchmark
    public BigDecimal priceUsage() {
        return price.cost(usage).total();
    }
}
