package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.budget.WorstCase;
import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.tokens.TokenCounter;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.SpendControls;
import dev.tollgate.gateway.stage.BudgetStage;
import dev.tollgate.gateway.translate.PromptTokens;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Token counts before anything is sent. */
@Command(name = "tokens", mixinStandardHelpOptions = true, description = "Count tokens before sending a request.",
        subcommands = {TokensCommand.Count.class})
final class TokensCommand {

    /**
     * What a request will be billed for at most, as a budget reserves it: its prompt, plus its output cap (or
     * {@code default_max_output_tokens}, which the gateway then sends as the cap; {@code defaulted}) at the output
     * rate, the prompt at the cache-write rate where it asks to be cached and that costs more.
     */
    record Estimate(String model, long inputTokens, boolean exact, long maxOutputTokens, boolean defaulted, ModelPrice price,
                    BigDecimal worstCaseUsd) {

        static Estimate of(JsonNode request, String model, Long maxOutput, PriceCatalog catalog, Instant at) {
            return of(request, model, maxOutput, SpendControls.DEFAULT_MAX_OUTPUT_TOKENS, catalog, at);
        }

        static Estimate of(JsonNode request, String model, Long maxOutput, long defaultMaxOutput, PriceCatalog catalog, Instant at) {
            TokenCounter counter = TokenCounter.forModel(model);
            boolean anthropic = request.has("system") || request.path("anthropic_version").isTextual()
                    || model.startsWith("claude");
            Api api = anthropic ? Api.ANTHROPIC_MESSAGES : Api.OPENAI_CHAT;
            long input = PromptTokens.count(api, request, counter);
            long output = maxOutput != null ? maxOutput : BudgetStage.maxOutputTokens(api, request, defaultMaxOutput);
            boolean defaulted = maxOutput == null && BudgetStage.clientCap(api, request) < 0;
            Optional<ModelPrice> price = catalog.priceAt(model, at);
            boolean cacheWrites = request.toString().contains("\"cache_control\"");
            BigDecimal worst = price.map(p -> WorstCase.cost(p, input, output, cacheWrites)).orElse(null);
            return new Estimate(model, input, counter.exact(), output, defaulted, price.orElse(null), worst);
        }
    }

    @Command(name = "count", mixinStandardHelpOptions = true,
            description = "Print the input tokens a chat request (OpenAI or Anthropic JSON) will be billed for, and its worst-case cost.")
    static final class Count implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The request body as JSON; - reads standard input.")
        String file;
        @Option(names = "--model", description = "The model to count and price for (default: the request's own model).")
        String model;
        @Option(names = "--max-output", description = "Output tokens to assume (default: the request's max_tokens).")
        Long maxOutput;
        @Option(names = "--data", defaultValue = "data", description = "Data directory with imported prices (default: ${DEFAULT-VALUE}).")
        Path dataDir;
        @Option(names = "--config", description = "A gateway config: its spend_controls.default_max_output_tokens is the output "
                + "assumed for a request that sets no cap (default " + SpendControls.DEFAULT_MAX_OUTPUT_TOKENS + ", as the gateway's).")
        Path config;

        @Override
        public Integer call() throws Exception {
            JsonNode request;
            try (InputStream in = file.equals("-") ? System.in : Files.newInputStream(Path.of(file))) {
                request = Json.MAPPER.readTree(in);
            } catch (IOException e) {
                System.err.println("tokens: cannot read a JSON request from " + file + ": " + e.getMessage());
                return 2;
            }
            String name = model != null ? model : request.path("model").asText(null);
            if (name == null) {
                System.err.println("tokens: the request names no model; pass --model");
                return 2;
            }
            long defaultMaxOutput = SpendControls.DEFAULT_MAX_OUTPUT_TOKENS;
            if (config != null) {
                try {
                    defaultMaxOutput = ConfigLoader.load(config).controls().defaultMaxOutputTokens();
                } catch (ConfigLoader.ConfigException e) {
                    System.err.println("tokens: cannot read the config " + config + ": " + e.getMessage());
                    return 2;
                }
            }
            Estimate e = Estimate.of(request, name, maxOutput, defaultMaxOutput, PricesCommand.catalog(dataDir), Instant.now());
            System.out.printf("model:          %s%n", e.model());
            System.out.printf("input tokens:   %d (%s)%n", e.inputTokens(),
                    e.exact() ? "exact: the model's own tokenizer" : "approximate: o200k_base stands in for this model's tokenizer");
            System.out.printf("max output:     %d%s%n", e.maxOutputTokens(), e.defaulted()
                    ? " (the request sets no cap: default_max_output_tokens, which the gateway reserves and sends upstream as the cap"
                      + " when a budget or rate limit applies)" : "");
            if (e.price() == null) {
                System.out.println("worst case:     no price for this model in the catalog");
            } else {
                System.out.printf("worst case:     $%s (%s, input $%s and output $%s per million tokens)%n",
                        e.worstCaseUsd().stripTrailingZeros().toPlainString(), e.price().version(),
                        e.price().ratesFor(e.inputTokens()).input().toPlainString(),
                        e.price().ratesFor(e.inputTokens()).output().toPlainString());
            }
            return 0;
        }
    }
}
