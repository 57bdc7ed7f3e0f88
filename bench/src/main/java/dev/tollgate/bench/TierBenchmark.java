package dev.tollgate.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.auth.Principal;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.route.Router;
import dev.tollgate.gateway.tier.Tiers;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What picking a tier adds to a request (issue 13: well under 5 µs): reading the request's facts (tags, tools,
 * response_format, message count) and running the rules of examples/tiered-support.yaml, whose last rule is the default.
 * {@code rules} has no prompt-token rule, so nothing is counted; {@code long-prompts} adds {@code min_prompt_tokens: 2000},
 * which the body's length (under 2000 bytes) decides without counting; {@code short-prompts} adds
 * {@code max_prompt_tokens: 30}, so the prompt (a short support question) is counted with the tokenizer first.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class TierBenchmark {

    @Param({"rules", "long-prompts", "short-prompts"})
    public String rules;

    private Tiers.Tiered tiered;
    private Exchange exchange;

    @Setup
    public void setup() throws Exception {
        String tokens = switch (rules) {
            case "long-prompts" -> "\n      - {tier: flagship, min_prompt_tokens: 2000}";
            case "short-prompts" -> "\n      - {tier: small, max_prompt_tokens: 30}";
            default -> "";
        };
        Router router = new Router(new ConfigLoader(Map.<String, String>of()::get).parse("""
                providers:
                  openai: {type: openai}
                models:
                  - {name: gpt-4.1-nano, provider: openai}
                  - {name: gpt-4o-mini, provider: openai}
                  - {name: gpt-4o, provider: openai}
                tiers:
                  - name: support-assistant
                    ladder: [{name: small, model: gpt-4.1-nano}, {name: mid, model: gpt-4o-mini}, {name: flagship, model: gpt-4o}]
                    default: mid
                    rules:
                      - {tier: flagship, tools: true}
                      - {tier: flagship, min_messages: 12}
                      - {tier: flagship, key: vip}
                      - {tier: small, tags: {feature: faq}}%s
                """.formatted(tokens)));
        tiered = router.tiers().get("support-assistant");
        String body = "{\"model\":\"support-assistant\",\"messages\":[{\"role\":\"system\",\"content\":\"You answer customers of a shop.\"},"
                + "{\"role\":\"user\",\"content\":\"My parcel was due last Tuesday. Can I get the shipping fee back?\"}]}";
        exchange = new Exchange("req", Api.OPENAI_CHAT, Instant.now(), System.nanoTime(), MultiMap.caseInsensitiveMultiMap(),
                Buffer.buffer(body), (ObjectNode) Json.parse(body));
        exchange.authenticate(Principal.ANONYMOUS, Map.of("team", "support", "feature", "refunds", "env", "prod"));
    }

    @Benchmark
    public Object choose() {
        return Tiers.choose(tiered, exchange);
    }
}
